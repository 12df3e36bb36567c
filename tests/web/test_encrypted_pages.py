"""The pages of encrypted secret ballots: the console's form (the committee chosen among the
participants), the trustee's page and its link in the room, the tablet's encrypted ballot,
the board check, and the console's wait for the trustees. The key work itself runs in the
browser: tests/browser/test_encrypted_journey.py."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Person, Poll, PollStatus
from tests.factories import Room, login, make_room, make_user
from tests.web.test_poll_pages import as_browser, polls_of, post_form
from voting.encrypted_polls import store
from web.pages import poll_views


@pytest.fixture
def room(session: Session) -> Room:
    return make_room(session)


def committee(room: Room) -> list[str]:
    return [str(person.id) for person in room.delegates[:3]]


def draft(client: TestClient, room: Room, **fields: Any) -> Any:
    as_browser(client, room.chair)
    data = {"template": "approval", "title": "Bầu Trưởng ban", "trustees": committee(room)}
    return post_form(client, f"/meetings/{room.meeting.id}/encrypted-polls", data | fields)


def test_the_console_drafts_an_encrypted_poll_with_its_committee(
    client: TestClient, session: Session, room: Room
) -> None:
    page = as_browser(client, room.chair).get(f"/meetings/{room.meeting.id}/polls?lang=vi")
    assert "Bỏ phiếu kín mã hóa (có Ban kiểm phiếu)" in page.text
    assert room.delegates[0].full_name in page.text  # a participant to choose
    answer = draft(client, room)
    assert answer.status_code == 303
    assert "msg=encrypted_created" in answer.headers["location"]
    (poll,) = polls_of(session, room.meeting)
    assert poll.encrypted
    assert poll.secret
    params = store.entries(session, poll.id or 0)[0]["body"]
    assert [t["person_id"] for t in params["trustees"]] == [int(i) for i in committee(room)]
    assert params["threshold"] == 2  # the default: a majority of three


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"trustees": ["1", "2"]}, "Chọn 3 đến 5 thành viên Ban kiểm phiếu"),
        ({"threshold": "4"}, "threshold"),
        ({"template": "opinion"}, "kind"),
    ],
)
def test_a_wrong_committee_is_refused_beside_the_form(
    client: TestClient, session: Session, room: Room, fields: dict[str, Any], field: str
) -> None:
    answer = draft(client, room, **fields)
    assert answer.status_code == 422
    assert 'id="encrypted-poll" open' in answer.text
    assert polls_of(session, room.meeting) == []


def test_an_outsider_cannot_be_a_trustee(client: TestClient, session: Session, room: Room) -> None:
    stranger = make_user(session)
    answer = draft(client, room, trustees=[*committee(room)[:2], str(stranger.id)])
    assert answer.status_code == 422
    assert polls_of(session, room.meeting) == []


def drafted(client: TestClient, session: Session, room: Room) -> Poll:
    assert draft(client, room).status_code == 303
    (poll,) = polls_of(session, room.meeting)
    return poll


def test_the_trustee_finds_their_page_in_the_room(
    client: TestClient, session: Session, room: Room
) -> None:
    poll = drafted(client, session, room)
    as_browser(client, room.delegates[1])
    assert f'href="/polls/{poll.id}/trustee"' in client.get(f"/room/{room.meeting.id}").text
    page = client.get(f"/polls/{poll.id}/trustee?lang=vi")
    assert page.status_code == 200
    assert 'data-index="2"' in page.text
    assert '<script type="module" src="/static/trustee.js">' in page.text
    assert "Your key for this poll" in client.get(f"/polls/{poll.id}/trustee?lang=en").text
    as_browser(client, room.delegates[3])  # not on the committee
    assert f"/polls/{poll.id}/trustee" not in client.get(f"/room/{room.meeting.id}").text
    assert client.get(f"/polls/{poll.id}/trustee").status_code == 404


def test_the_tablet_gets_the_encrypted_ballot_and_the_board_check(
    client: TestClient, session: Session, room: Room
) -> None:
    poll = drafted(client, session, room)
    poll.status = PollStatus.open  # as if set up and opened: the page only shows the ballot
    session.add(poll)
    session.commit()
    voter: Person = room.delegates[4]
    login(client, voter)
    ballot = client.get(f"/room/{room.meeting.id}/ballot?lang=vi").text
    assert f'data-eb-ballot="{poll.id}"' in ballot
    assert "Kiểm tra mã hóa" in ballot
    assert 'class="ballot-form"' not in ballot  # never the plain ballot, which sends the choice
    page = client.get(f"/polls/{poll.id}/board-check")
    assert page.status_code == 200
    assert "/static/eb_board.js" in page.text


def test_the_console_links_the_board_and_waits_for_the_trustees(
    client: TestClient, session: Session, room: Room
) -> None:
    poll = drafted(client, session, room)
    text = as_browser(client, room.chair).get(f"/meetings/{room.meeting.id}/polls/list").text
    assert f'href="/api/polls/{poll.id}/board"' in text
    poll.status = PollStatus.closed  # closed, no partial decryption yet
    session.add(poll)
    session.commit()
    assert poll_views.poll_row(session, poll).waiting == {"done": 0, "needed": 2}
    text = client.get(f"/meetings/{room.meeting.id}/polls/list?lang=vi").text
    assert "Đang chờ Ban kiểm phiếu: 0 trên 2" in text
    login(client, room.delegates[4])
    results = client.get(f"/room/{room.meeting.id}/results?lang=vi").text
    assert "đang chờ Ban kiểm phiếu giải mã các tổng" in results
