"""The voting pages: the chair console, the delegate's ballot in the room, the projector."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from models import Meeting, MeetingRole, Person, Poll, PollKind, PollStatus, Role
from tests.factories import Room, login, make_room, make_user, seat
from voting import polls


def as_browser(client: TestClient, person: Person) -> TestClient:
    """Logged in like a browser: form posts carry the CSRF token as a field."""
    login(client, person)
    client.headers.pop("x-csrf-token", None)
    return client


def post_form(client: TestClient, url: str, data: dict[str, Any] | None = None) -> Response:
    fields = {"csrf_token": client.cookies.get("hop_csrf"), **(data or {})}
    return client.post(url, data=fields, follow_redirects=False)


def polls_of(session: Session, meeting: Meeting) -> list[Poll]:
    session.expire_all()
    return list(session.exec(select(Poll).where(Poll.meeting_id == meeting.id)))


@pytest.fixture
def room(session: Session) -> Room:
    return make_room(session)


def test_console_renders_for_the_chair_in_both_languages(client: TestClient, room: Room) -> None:
    as_browser(client, room.chair)
    vietnamese = client.get(f"/meetings/{room.meeting.id}/polls?lang=vi")
    assert vietnamese.status_code == 200
    assert "Điều hành biểu quyết" in vietnamese.text
    assert "Biểu quyết thông qua" in vietnamese.text
    english = client.get(f"/meetings/{room.meeting.id}/polls?lang=en")
    assert "Voting console" in english.text
    assert "Approval vote (yes / no / abstain)" in english.text


def test_console_is_refused_to_delegates_and_hidden_from_outsiders(
    client: TestClient, session: Session, room: Room
) -> None:
    as_browser(client, room.delegates[0])
    assert client.get(f"/meetings/{room.meeting.id}/polls").status_code == 403
    as_browser(client, make_user(session))
    assert client.get(f"/meetings/{room.meeting.id}/polls").status_code == 404


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"template": "approval", "title": "Thông qua nghị quyết"}, PollKind.yes_no),
        (
            {"template": "election", "title": "Bầu thư ký", "candidates": "An\nBình\nChi"},
            PollKind.single,
        ),
        (
            {
                "template": "election",
                "title": "Bầu tổ",
                "candidates": "An\nBình\nChi",
                "seats": "2",
            },
            PollKind.multiple,
        ),
        ({"template": "opinion", "title": "Góp ý dự thảo", "opinion_agree": "1"}, PollKind.opinion),
    ],
)
def test_each_template_drafts_a_poll(
    client: TestClient, session: Session, room: Room, fields: dict[str, str], kind: PollKind
) -> None:
    as_browser(client, room.chair)
    response = post_form(client, f"/meetings/{room.meeting.id}/polls", {**fields, "secret": "1"})
    assert response.status_code == 303, response.text
    assert "msg=poll_created" in response.headers["location"]
    (poll,) = polls_of(session, room.meeting)
    assert (poll.kind, poll.title, poll.secret, poll.status) == (
        kind,
        fields["title"],
        True,
        PollStatus.draft,
    )
    if kind == PollKind.multiple:
        assert (poll.min_choices, poll.max_choices) == (1, 2)
    if kind == PollKind.opinion:
        assert poll.opinion_agree


def test_a_bad_template_form_is_shown_again_with_the_reason(
    client: TestClient, session: Session, room: Room
) -> None:
    as_browser(client, room.chair)
    url = f"/meetings/{room.meeting.id}/polls?lang=en"
    one = post_form(client, url, {"template": "election", "title": "Bầu", "candidates": "An"})
    assert one.status_code == 422
    assert "List at least two different candidates" in one.text
    untitled = post_form(client, url, {"template": "approval", "title": " "})
    assert untitled.status_code == 422
    assert "This field is required." in untitled.text
    assert polls_of(session, room.meeting) == []


def test_open_close_and_publish_through_the_forms(
    client: TestClient, session: Session, room: Room
) -> None:
    poll = room.poll(title="Thông qua chương trình", quorum_fraction="1/2")
    as_browser(client, room.chair)
    base = f"/meetings/{room.meeting.id}/polls/{poll.id}"
    draft = client.get(f"/meetings/{room.meeting.id}/polls?lang=en").text
    assert "Quorum: 6 present with a voting right, 3 required" in draft
    assert post_form(client, f"{base}/open").status_code == 303
    console = client.get(f"/meetings/{room.meeting.id}/polls?lang=vi").text
    assert f'data-progress="poll:{poll.id}"' in console
    assert "0</span> trên <span" in console
    for delegate in room.delegates[:4]:
        room.cast(poll, delegate, choice="yes")
    room.cast(poll, room.delegates[4], choice="no")
    assert "5</span> trên <span" in client.get(f"/meetings/{room.meeting.id}/polls?lang=vi").text
    closed = post_form(client, f"{base}/close")
    assert closed.status_code == 303
    assert "msg=poll_closed" in closed.headers["location"]
    result = client.get(f"/meetings/{room.meeting.id}/polls?lang=vi").text
    assert "Được thông qua" in result
    assert "Công bố kết quả" in result
    assert post_form(client, f"{base}/publish").status_code == 303
    session.expire_all()
    assert polls_of(session, room.meeting)[0].status == PollStatus.published


def test_an_open_refused_for_lack_of_quorum_says_why(client: TestClient, session: Session) -> None:
    room = make_room(session, present=False)
    poll = room.poll(quorum_fraction="1/2")
    as_browser(client, room.chair)
    refused = post_form(client, f"/meetings/{room.meeting.id}/polls/{poll.id}/open?lang=en")
    assert refused.status_code == 409
    assert "the quorum is not present" in refused.text
    assert "0 present with a voting right, 3 required" in refused.text
    assert polls_of(session, room.meeting)[0].status == PollStatus.draft


def test_cancel_through_the_form(client: TestClient, session: Session, room: Room) -> None:
    poll = room.open()
    as_browser(client, room.chair)
    cancelled = post_form(client, f"/meetings/{room.meeting.id}/polls/{poll.id}/cancel")
    assert "msg=poll_cancelled" in cancelled.headers["location"]
    assert polls_of(session, room.meeting)[0].status == PollStatus.cancelled


def test_a_form_post_without_the_csrf_token_is_refused(
    client: TestClient, session: Session, room: Room
) -> None:
    poll = room.poll()
    as_browser(client, room.chair)
    bare = client.post(
        f"/meetings/{room.meeting.id}/polls/{poll.id}/open", data={}, follow_redirects=False
    )
    assert bare.status_code == 403
    created = client.post(
        f"/meetings/{room.meeting.id}/polls",
        data={"template": "approval", "title": "X"},
        follow_redirects=False,
    )
    assert created.status_code == 403
    assert polls_of(session, room.meeting)[0].status == PollStatus.draft
    assert len(polls_of(session, room.meeting)) == 1


def test_the_room_shows_the_ballot_of_an_open_poll_to_eligible_delegates_only(
    client: TestClient, session: Session, room: Room
) -> None:
    late = make_user(session)
    seat(session, room.meeting, late)  # invited with a voting right, not checked in
    observer = make_user(session)
    seat(session, room.meeting, observer, voting_right=False, role=MeetingRole.observer)
    room.present(observer)
    draft = room.poll(title="Bản nháp chưa mở")
    url = f"/room/{room.meeting.id}/ballot"
    as_browser(client, room.delegates[0])
    assert "ballot-form" not in client.get(url).text
    poll = room.open(title="Thông qua nghị quyết")
    ballot = client.get(url).text
    assert "Thông qua nghị quyết" in ballot
    assert f'data-ballot="{poll.id}"' in ballot
    assert "Tán thành" in ballot
    assert "Không tán thành" in ballot
    assert "Không biểu quyết" in ballot
    assert "Xác nhận phiếu" in ballot
    assert draft.title not in ballot
    room_page = client.get(f"/room/{room.meeting.id}").text
    assert f'data-live-fragment="{url}"' in room_page
    assert "poll.opened" in room_page
    for outsider in (late, observer):
        as_browser(client, outsider)
        assert "ballot-form" not in client.get(url).text


def test_after_voting_the_ballot_says_when_it_was_received(
    client: TestClient, session: Session, room: Room
) -> None:
    named = room.open(title="Công khai")
    secret = room.open(title="Kín", secret=True)
    changeable = room.open(title="Được sửa", allow_change=True)
    voter = room.delegates[0]
    for poll in (named, secret, changeable):
        room.cast(poll, voter, choice="yes")
    as_browser(client, voter)
    page = client.get(f"/room/{room.meeting.id}/ballot").text
    assert len(re.findall(r"Phiếu của bạn đã được ghi nhận lúc \d\d:\d\d", page)) == 3
    assert page.count('class="ballot-form"') == 1  # re-voting only where the poll allows it
    assert "Thay đổi phiếu của tôi" in page


def test_a_proxy_holder_gets_a_second_ballot(client: TestClient, session: Session) -> None:
    room = make_room(session, present=False)
    holder, absent = room.delegates[:2]
    room.present(room.chair, holder, *room.delegates[2:])
    as_browser(client, room.clerk)
    body = {"holder_id": holder.id, "represented_id": absent.id}
    client.headers["x-csrf-token"] = client.cookies.get("hop_csrf") or ""
    assert client.post(f"/api/meetings/{room.meeting.id}/proxies", json=body).status_code == 201
    room.open()
    as_browser(client, holder)
    page = client.get(f"/room/{room.meeting.id}/ballot").text
    assert page.count('class="ballot-form"') == 2
    assert f'data-on-behalf-of="{absent.id}"' in page
    assert absent.full_name in page


def test_the_projector_shows_progress_then_the_result(
    client: TestClient, session: Session, room: Room
) -> None:
    url = f"/projector/{room.meeting.id}/focus"
    as_browser(client, room.chair)
    assert "The meeting is in progress." in client.get(f"{url}?lang=en").text
    poll = room.open(title="Thông qua dự toán")
    room.cast(poll, room.delegates[0], choice="yes")
    live = client.get(url).text
    assert "Thông qua dự toán" in live
    assert f'data-progress="poll:{poll.id}"' in live
    assert '<span data-field="done">1</span> / <span data-field="total">6</span>' in live
    assert "<progress" in live
    for delegate in room.delegates[1:3]:
        room.cast(poll, delegate, choice="yes")
    room.cast(poll, room.delegates[3], choice="no")
    polls.close_poll(session=session, poll=poll)
    closed = client.get(f"{url}?lang=en").text
    assert "Adopted" not in closed  # not before it is published
    assert "the result will be announced shortly" in closed
    polls.publish_poll(session=session, poll=poll)
    published = client.get(f"{url}?lang=en").text
    assert "Adopted" in published
    assert 'class="bar-fill" style="width: 75.0%"' in published
    assert "In favour" in published


def test_the_chair_sets_the_current_item_from_the_console(
    client: TestClient, session: Session, room: Room
) -> None:
    from meetings import scheduling

    item = scheduling.list_agenda(session=session, meeting=room.meeting)[0]
    as_browser(client, room.chair)
    moved = post_form(client, f"/meetings/{room.meeting.id}/current-item", {"item_id": item.id})
    assert moved.status_code == 303
    session.expire_all()
    assert session.get(Meeting, room.meeting.id).current_item_id == item.id  # type: ignore[union-attr]


def test_staff_reach_the_console_from_the_editor(client: TestClient, room: Room) -> None:
    assert room.clerk.role == Role.secretariat
    as_browser(client, room.clerk)
    editor = client.get(f"/meetings/{room.meeting.id}/edit").text
    assert f'href="/meetings/{room.meeting.id}/polls"' in editor
    assert client.get(f"/meetings/{room.meeting.id}/polls").status_code == 200
