"""The comment-round pages (issue 17): the secretariat prepares a round from a form, corrects
the split, opens, reminds and closes it from the overview; a member comments article by
article, saves, sends and amends; the room lists the rounds with the member's part."""

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import CommentRound, Meeting, MeetingStatus, Person, Role, RoundComment
from models.base import utcnow
from tests.api.test_notes import upload_pdf
from tests.api.test_rounds import DRAFT
from tests.factories import invite, login, make_user
from tests.web.test_poll_pages import as_browser, post_form
from web.pages.render import VIETNAM


@pytest.fixture
def members(session: Session, meeting: Meeting) -> list[Person]:
    meeting.status = MeetingStatus.scheduled
    session.add(meeting)
    session.commit()
    people = [make_user(session, full_name=f"Đại Biểu Góp Ý {n}") for n in range(2)]
    for person in people:
        invite(session, meeting, person)
    return people


@pytest.fixture
def drafter(session: Session) -> Person:
    return make_user(session, role=Role.delegate, full_name="Phòng Kinh tế")


def deadline(days: int = 3) -> str:
    return (utcnow() + timedelta(days=days)).astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M")


def prepare(client: TestClient, clerk: Person, meeting: Meeting, **fields: object) -> int:
    """A round created through the page form; its id."""
    login(client, clerk)
    document_id = upload_pdf(client, meeting, DRAFT, title="Dự thảo Nghị quyết vỉa hè")
    as_browser(client, clerk)
    form = {
        "document_id": str(document_id),
        "title": "Góp ý dự thảo vỉa hè",
        "deadline": deadline(),
        **fields,
    }
    response = post_form(client, f"/meetings/{meeting.id}/rounds", form)
    assert response.status_code == 303, response.text
    found = re.search(r"/rounds/(\d+)/overview", response.headers["location"])
    assert found is not None
    return int(found.group(1))


def opened(client: TestClient, clerk: Person, meeting: Meeting, **fields: object) -> int:
    round_id = prepare(client, clerk, meeting, **fields)
    response = post_form(client, f"/rounds/{round_id}/status/open")
    assert response.status_code == 303, response.text
    return round_id


def rounds_of(session: Session) -> list[CommentRound]:
    session.expire_all()
    return list(session.exec(select(CommentRound)))


def test_the_form_prepares_a_round_with_its_split(
    client: TestClient,
    session: Session,
    clerk: Person,
    meeting: Meeting,
    drafter: Person,
    members: list[Person],
) -> None:
    round_id = prepare(client, clerk, meeting, drafter_ids=[str(drafter.id)])
    page = client.get(f"/rounds/{round_id}/overview")
    assert page.status_code == 200
    assert "Điều 1" in page.text
    assert 'name="kind-0"' in page.text
    listing = client.get(f"/meetings/{meeting.id}/rounds")
    assert "Góp ý dự thảo vỉa hè" in listing.text
    assert "Phòng Kinh tế" in listing.text
    when = datetime.strptime(deadline(), "%Y-%m-%dT%H:%M")
    assert when.strftime("%d/%m/%Y %H:%M") in listing.text  # the time as typed, Vietnam's


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"deadline": "ngày mai"}, "deadline"),
        ({"document_id": "999999"}, "document_id"),
    ],
)
def test_bad_input_re_renders_with_the_reason_and_creates_nothing(
    client: TestClient,
    session: Session,
    clerk: Person,
    meeting: Meeting,
    members: list[Person],
    fields: dict[str, str],
    field: str,
) -> None:
    login(client, clerk)
    document_id = upload_pdf(client, meeting, DRAFT)
    as_browser(client, clerk)
    form = {"document_id": str(document_id), "title": "Góp ý", "deadline": deadline(), **fields}
    response = post_form(client, f"/meetings/{meeting.id}/rounds", form)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text or f'id="round-{field}-error"' in response.text
    assert 'value="Góp ý"' in response.text or fields.get("title") == ""
    assert rounds_of(session) == []


def test_a_past_deadline_is_refused_beside_its_field(
    client: TestClient, session: Session, clerk: Person, meeting: Meeting, members: list[Person]
) -> None:
    login(client, clerk)
    document_id = upload_pdf(client, meeting, DRAFT)
    as_browser(client, clerk)
    form = {"document_id": str(document_id), "title": "Góp ý", "deadline": deadline(-1)}
    response = post_form(client, f"/meetings/{meeting.id}/rounds", form)
    assert response.status_code == 422
    assert "round-deadline-error" in response.text
    assert rounds_of(session) == []


def test_a_member_saves_sends_and_amends_then_the_overview_counts(
    client: TestClient, session: Session, clerk: Person, meeting: Meeting, members: list[Person]
) -> None:
    round_id = opened(client, clerk, meeting)
    as_browser(client, members[0])
    page = client.get(f"/rounds/{round_id}")
    assert page.status_code == 200
    assert "Tán thành" in page.text
    assert "Đọc toàn văn" in page.text
    assert f"/room/{meeting.id}/documents/" in page.text
    draft = {"stance-1": "disagree", "text-1": "Chưa rõ phạm vi", "action": "save"}
    assert post_form(client, f"/rounds/{round_id}", draft).status_code == 303
    assert "Chưa rõ phạm vi" in client.get(f"/rounds/{round_id}").text
    sent = {**draft, "general": "Cần thêm điều khoản chuyển tiếp", "action": "submit"}
    assert post_form(client, f"/rounds/{round_id}", sent).status_code == 303
    after = client.get(f"/rounds/{round_id}")
    assert "Đã gửi (lần 1)" in after.text
    amend = {"stance-1": "amend", "proposed-1": "Phạm vi mới", "action": "submit"}
    assert post_form(client, f"/rounds/{round_id}", amend).status_code == 303
    assert "Đã gửi (lần 2)" in client.get(f"/rounds/{round_id}").text

    as_browser(client, clerk)
    overview = client.get(f"/rounds/{round_id}/overview/live")
    assert "Đã góp ý: 1 / 2" in overview.text
    assert members[1].full_name in overview.text
    assert members[0].full_name not in overview.text


def test_an_anonymous_rounds_overview_names_no_commenter(
    client: TestClient, session: Session, clerk: Person, meeting: Meeting, members: list[Person]
) -> None:
    round_id = opened(client, clerk, meeting, anonymous="on")
    as_browser(client, members[0])
    assert "Góp ý ẩn danh" in client.get(f"/rounds/{round_id}").text
    sent = {"stance-1": "agree", "action": "submit"}
    assert post_form(client, f"/rounds/{round_id}", sent).status_code == 303
    as_browser(client, clerk)
    page = client.get(f"/rounds/{round_id}/overview")
    assert members[0].full_name not in page.text
    assert members[1].full_name in page.text  # who has not answered is still shown
    session.expire_all()
    assert len(list(session.exec(select(RoundComment)))) == 1


def test_remind_and_close_from_the_overview(
    client: TestClient, session: Session, clerk: Person, meeting: Meeting, members: list[Person]
) -> None:
    round_id = opened(client, clerk, meeting)
    reminded = post_form(client, f"/rounds/{round_id}/remind")
    assert reminded.status_code == 303
    page = client.get(reminded.headers["location"])
    assert "Đã nhắc 2 đại biểu" in page.text
    assert "nhắc lúc" in page.text
    as_browser(client, members[0])
    room = client.get(f"/room/{meeting.id}/rounds")
    assert "Nhắc:" in room.text
    as_browser(client, clerk)
    assert post_form(client, f"/rounds/{round_id}/status/close").status_code == 303
    assert rounds_of(session)[0].status == "closed"
    as_browser(client, members[0])
    closed = client.get(f"/rounds/{round_id}")
    assert "Lưu nháp" not in closed.text
    assert post_form(client, f"/rounds/{round_id}", {"action": "submit"}).status_code == 409


def test_the_room_lists_the_round_not_commented_then_sent(
    client: TestClient, session: Session, clerk: Person, meeting: Meeting, members: list[Person]
) -> None:
    round_id = opened(client, clerk, meeting)
    as_browser(client, members[0])
    room = client.get(f"/room/{meeting.id}")
    assert "Góp ý dự thảo" in room.text
    assert "Chưa góp ý" in room.text
    post_form(client, f"/rounds/{round_id}", {"stance-1": "agree", "action": "submit"})
    assert "Đã gửi" in client.get(f"/room/{meeting.id}/rounds").text


def test_outsiders_and_members_cannot_manage(
    client: TestClient, session: Session, clerk: Person, meeting: Meeting, members: list[Person]
) -> None:
    round_id = opened(client, clerk, meeting)
    as_browser(client, make_user(session))
    assert client.get(f"/rounds/{round_id}").status_code == 404
    as_browser(client, members[0])
    assert client.get(f"/rounds/{round_id}/overview").status_code == 403
    assert post_form(client, f"/rounds/{round_id}/status/close").status_code == 403


def test_the_drafting_body_is_pointed_to_its_pages(
    client: TestClient,
    session: Session,
    clerk: Person,
    meeting: Meeting,
    drafter: Person,
    members: list[Person],
) -> None:
    round_id = opened(client, clerk, meeting, drafter_ids=[str(drafter.id)])
    as_browser(client, drafter)
    page = client.get(f"/rounds/{round_id}")
    assert page.status_code == 200
    assert f"/rounds/{round_id}/answers" in page.text


def test_the_split_editor_saves_a_correction_and_refuses_a_bad_one(
    client: TestClient, session: Session, clerk: Person, meeting: Meeting, members: list[Person]
) -> None:
    round_id = prepare(client, clerk, meeting)
    page = client.get(f"/rounds/{round_id}/overview").text
    labels = re.findall(r'name="label-(\d+)" value="([^"]*)"', page)
    fields = {f"label-{p}": label for p, label in labels}
    kinds = dict(re.findall(r'name="kind-(\d+)">.*?value="(\w+)" selected', page))
    form = {**fields, **{f"kind-{p}": kind for p, kind in kinds.items()}}
    clause = next(p for p, label in labels if label.startswith("Khoản"))
    removed = post_form(client, f"/rounds/{round_id}/split", {**form, f"remove-{clause}": "on"})
    assert removed.status_code == 303
    after = client.get(f"/rounds/{round_id}/overview").text
    assert len(re.findall(r'name="label-\d+"', after)) == len(labels) - 1
    bad = {**form, "kind-0": "clause"}  # a clause at the top level
    refused = post_form(client, f"/rounds/{round_id}/split", bad)
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    assert client.get(f"/rounds/{round_id}/overview").text.count('name="label-') == len(labels) - 1


def test_english_pages(
    client: TestClient, session: Session, clerk: Person, meeting: Meeting, members: list[Person]
) -> None:
    round_id = opened(client, clerk, meeting)
    assert "Comments so far" in client.get(f"/rounds/{round_id}/overview?lang=en").text
    as_browser(client, members[0])
    page = client.get(f"/rounds/{round_id}?lang=en")
    assert "Send comments" in page.text
    assert "Read the full text" in page.text
