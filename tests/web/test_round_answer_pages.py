"""The drafting body's page of a comment round (issue 17): every comment with its author (or
none), answered through a form (accepted, explained, merged), bad answers re-rendered with the
reason and nothing stored, the report's versions made and downloaded, the final one once."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from models import Meeting, MeetingStatus, Person, Role, RoundAnswer, RoundComment, RoundReport
from tests.factories import invite, make_user
from tests.web.test_poll_pages import as_browser, post_form
from tests.web.test_round_pages import opened

SAID = ["Phạm vi quá rộng, cần thu hẹp", "Bổ sung hộ gia đình", "Nên gộp với ý kiến trên"]


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


def comment(client: TestClient, round_id: int, member: Person, text: str) -> None:
    """A member sends one general comment through the member's page."""
    as_browser(client, member)
    response = post_form(client, f"/rounds/{round_id}", {"general": text, "action": "submit"})
    assert response.status_code == 303, response.text


@pytest.fixture
def commented(
    client: TestClient,
    session: Session,
    clerk: Person,
    meeting: Meeting,
    drafter: Person,
    members: list[Person],
) -> int:
    """An open round with a comment from each member, the drafting body logged in."""
    round_id = opened(client, clerk, meeting, drafter_ids=[str(drafter.id)])
    for member, text in zip(members, SAID, strict=False):
        comment(client, round_id, member, text)
    as_browser(client, drafter)
    return round_id


def comments(session: Session) -> list[RoundComment]:
    session.expire_all()
    return list(session.exec(select(RoundComment).order_by(col(RoundComment.id))))


def answers(session: Session) -> dict[int, RoundAnswer]:
    session.expire_all()
    return {a.comment_id: a for a in session.exec(select(RoundAnswer))}


def test_the_page_lists_every_comment_with_its_author(
    client: TestClient, commented: int, members: list[Person]
) -> None:
    page = client.get(f"/rounds/{commented}/answers")
    assert page.status_code == 200
    for text, member in zip(SAID, members, strict=False):
        assert text in page.text
        assert member.full_name in page.text
    assert "Ý kiến chung" in page.text
    assert "Chưa trả lời: 2" in page.text


def test_an_anonymous_round_names_nobody(
    client: TestClient,
    session: Session,
    clerk: Person,
    meeting: Meeting,
    drafter: Person,
    members: list[Person],
) -> None:
    round_id = opened(client, clerk, meeting, drafter_ids=[str(drafter.id)], anonymous="on")
    comment(client, round_id, members[0], SAID[0])
    as_browser(client, drafter)
    page = client.get(f"/rounds/{round_id}/answers").text
    assert SAID[0] in page
    assert members[0].full_name not in page
    assert "Ẩn danh" in page


def test_answers_accepted_explained_and_merged_through_the_form(
    client: TestClient, session: Session, commented: int
) -> None:
    first, second = (c.id or 0 for c in comments(session))
    url = f"/rounds/{commented}/answers"
    saved = post_form(client, f"{url}/{first}", {"verdict": "accepted", "text": "Đã sửa"})
    assert saved.status_code == 303
    assert saved.headers["location"].endswith(f"#comment-{first}")
    assert answers(session)[first].verdict == "accepted"
    explained = {"verdict": "explained", "text": "Đã có tại Điều 2"}
    assert post_form(client, f"{url}/{second}", explained).status_code == 303
    assert answers(session)[second].text == "Đã có tại Điều 2"
    merged = {"verdict": "merged", "merged_into": str(first), "text": ""}
    assert post_form(client, f"{url}/{second}", merged).status_code == 303
    assert answers(session)[second].merged_into == first
    page = client.get(url).text
    assert "Chưa trả lời: 0" in page
    assert "Gộp với ý kiến số 1" in page


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"verdict": "explained", "text": ""}, "Hãy nêu lý do"),
        ({"verdict": "merged", "merged_into": "SELF"}, "Chọn một ý kiến khác"),
        ({"verdict": "merged", "merged_into": "999999"}, "Chọn một ý kiến khác"),
        ({"verdict": "whatever", "text": "Giữ nguyên chữ"}, "Chọn cách trả lời"),
    ],
)
def test_bad_answers_re_render_with_the_reason(
    client: TestClient, session: Session, commented: int, form: dict[str, str], reason: str
) -> None:
    first = comments(session)[0].id or 0
    data = {k: (str(first) if v == "SELF" else v) for k, v in form.items()}
    refused = post_form(client, f"/rounds/{commented}/answers/{first}", data)
    assert refused.status_code == 422
    assert reason in refused.text
    assert 'id="why-' in refused.text
    if data.get("text"):
        assert data["text"] in refused.text  # the typed text is kept
    assert answers(session) == {}


def test_an_unknown_comment_is_refused(
    client: TestClient, session: Session, commented: int
) -> None:
    refused = post_form(
        client, f"/rounds/{commented}/answers/999999", {"verdict": "accepted", "text": "x"}
    )
    assert refused.status_code == 422
    assert answers(session) == {}


def test_members_and_outsiders_cannot_see_the_page(
    client: TestClient, session: Session, commented: int, members: list[Person]
) -> None:
    first = comments(session)[0].id or 0
    as_browser(client, members[0])
    assert client.get(f"/rounds/{commented}/answers").status_code == 403
    form = {"verdict": "accepted", "text": "x"}
    assert post_form(client, f"/rounds/{commented}/answers/{first}", form).status_code == 403
    assert post_form(client, f"/rounds/{commented}/answers/report").status_code == 403
    assert answers(session) == {}


def reports(session: Session) -> list[RoundReport]:
    session.expire_all()
    return list(session.exec(select(RoundReport)))


def test_a_report_version_is_made_and_downloaded_then_made_final_once(
    client: TestClient,
    session: Session,
    commented: int,
    clerk: Person,
    drafter: Person,
) -> None:
    url = f"/rounds/{commented}/answers/report"
    made = post_form(client, url)
    assert made.status_code == 303
    page = client.get(f"/rounds/{commented}/answers").text
    assert f"/api/rounds/{commented}/reports/1.pdf" in page
    pdf = client.get(f"/api/rounds/{commented}/reports/1.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert client.get(f"/api/rounds/{commented}/reports/1.docx").status_code == 200

    early = post_form(client, url, {"final": "on", "confirm": "on"})
    assert early.status_code == 409
    assert "sau khi đợt lấy ý kiến đã kết thúc" in early.text
    as_browser(client, clerk)
    assert post_form(client, f"/rounds/{commented}/status/close").status_code == 303
    as_browser(client, drafter)
    unconfirmed = post_form(client, url, {"final": "on"})
    assert unconfirmed.status_code == 422
    assert len(reports(session)) == 1
    final = post_form(client, url, {"final": "on", "confirm": "on"})
    assert final.status_code == 303
    kept = reports(session)
    assert [r.final for r in kept] == [False, True]
    page = client.get(f"/rounds/{commented}/answers").text
    assert kept[-1].sha256
    assert kept[-1].sha256 in page
    again = post_form(client, url)
    assert again.status_code == 409
    assert "đã là bản chính thức" in again.text
    assert len(reports(session)) == 2


def test_english_page_words(client: TestClient, commented: int) -> None:
    page = client.get(f"/rounds/{commented}/answers?lang=en").text
    for words in ("Comments and answers", "Not answered yet: 2", "Consolidated report"):
        assert words in page
