"""Screens that fit their device (issue 14.3): the projector's one focus, decided in one place;
published results and the current item in the room, after a reload; a bad or revoked screen
link gets a page that says so, in the site's language."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from meetings import live, scheduling, speakers
from models import AgendaItemCreate, MeetingStatus, Person, Poll, Role
from tests.factories import (
    Room,
    issue_projector,
    login,
    make_meeting,
    make_person,
    make_room,
    make_user,
)
from voting import polls
from web.auth import screen_refused
from web.pages.projector_focus import (
    PENDING_SHOWN_FOR,
    RESULT_SHOWN_FOR,
    Ended,
    Facts,
    FocusKind,
    choose_focus,
)

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
AGO = {n: NOW - timedelta(minutes=n) for n in (1, 2, 3, 11)}
RUNNING = MeetingStatus.in_progress


def published(minutes_ago: int) -> Ended:
    return Ended(closed_at=AGO[minutes_ago], published_at=AGO[minutes_ago])


# The focus, as a table: the facts, what the projector shows, and for how long --------------

FOCUS_CASES = [
    ("draft", Facts(MeetingStatus.draft), FocusKind.status, None),
    ("scheduled", Facts(MeetingStatus.scheduled), FocusKind.status, None),
    ("running, nothing set", Facts(RUNNING), FocusKind.status, None),
    ("current item", Facts(RUNNING, current_item=True), FocusKind.item, None),
    (
        "speaker over item",
        Facts(RUNNING, speaking=True, current_item=True),
        FocusKind.speaker,
        None,
    ),
    (
        "vote over all",
        Facts(RUNNING, vote_open=True, speaking=True, current_item=True, ended=published(1)),
        FocusKind.vote,
        None,
    ),
    (
        "closed vote waits over the speaker",
        Facts(RUNNING, ended=Ended(closed_at=AGO[1]), speaking=True),
        FocusKind.pending,
        540,
    ),
    (
        "a forgotten result no longer hides the speaker",
        Facts(RUNNING, ended=Ended(closed_at=AGO[11]), speaking=True),
        FocusKind.speaker,
        None,
    ),
    ("fresh result, nothing else", Facts(RUNNING, ended=published(2)), FocusKind.result, 480),
    (
        "fresh result after the item was set",
        Facts(RUNNING, ended=published(2), current_item=True, item_set_at=AGO[3]),
        FocusKind.result,
        480,
    ),
    (
        "the item set after the result",
        Facts(RUNNING, ended=published(2), current_item=True, item_set_at=AGO[1]),
        FocusKind.item,
        None,
    ),
    (
        "speaker over a result",
        Facts(RUNNING, ended=published(1), speaking=True),
        FocusKind.speaker,
        None,
    ),
    ("old result", Facts(RUNNING, ended=published(11)), FocusKind.status, None),
    (
        "old result, item",
        Facts(RUNNING, ended=published(11), current_item=True, item_set_at=AGO[11] - timedelta(1)),
        FocusKind.item,
        None,
    ),
    (
        "closed meeting, fresh result",
        Facts(MeetingStatus.closed, ended=published(1)),
        FocusKind.result,
        540,
    ),
    (
        "closed meeting, left-over item",
        Facts(MeetingStatus.closed, current_item=True, ended=published(11)),
        FocusKind.status,
        None,
    ),
    ("cancelled", Facts(MeetingStatus.cancelled, current_item=True), FocusKind.status, None),
]


@pytest.mark.parametrize(
    ("facts", "kind", "expires_in"),
    [case[1:] for case in FOCUS_CASES],
    ids=[case[0] for case in FOCUS_CASES],
)
def test_the_projector_shows_one_focus_by_priority(
    facts: Facts, kind: FocusKind, expires_in: int | None
) -> None:
    focus = choose_focus(facts, now=NOW)
    assert (focus.kind, focus.expires_in) == (kind, expires_in)


def test_the_result_and_the_wait_are_shown_for_a_limited_time() -> None:
    assert RESULT_SHOWN_FOR == PENDING_SHOWN_FOR == timedelta(minutes=10)
    just = Facts(RUNNING, ended=Ended(closed_at=NOW, published_at=NOW))
    assert choose_focus(just, now=NOW + RESULT_SHOWN_FOR - timedelta(seconds=1)).expires_in == 1
    assert choose_focus(just, now=NOW + RESULT_SHOWN_FOR).kind == FocusKind.status
    naive = Facts(RUNNING, ended=Ended(closed_at=NOW.replace(tzinfo=None)))  # SQLite's
    assert choose_focus(naive, now=NOW).kind == FocusKind.pending


# The focus fragment, from the database ---------------------------------------------------------


def focus_of(client: TestClient, room: Room, lang: str = "en") -> str:
    response = client.get(f"/projector/{room.meeting.id}/focus?lang={lang}")
    assert response.status_code == 200
    return response.text


@pytest.fixture
def hall(client: TestClient, session: Session) -> tuple[TestClient, Room]:
    """A running meeting, its chair looking at the projector's page."""
    room = make_room(session)
    login(client, room.chair)
    return client, room


def test_the_focus_follows_the_meeting(session: Session, hall: tuple[TestClient, Room]) -> None:
    client, room = hall
    running = focus_of(client, room)
    assert 'data-focus="status"' in running
    assert "The meeting is in progress." in running
    assert "Waiting for the chair" not in running
    item = scheduling.list_agenda(session=session, meeting=room.meeting)[0]
    live.set_current_item(session, meeting=room.meeting, item_id=item.id)
    assert 'data-focus="item"' in focus_of(client, room)
    assert "Khai mạc" in focus_of(client, room)
    speech = speakers.request_floor(session=session, meeting=room.meeting, person=room.delegates[0])
    speakers.start_speech(session=session, meeting=room.meeting, speech=speech, limit_seconds=120)
    speaking = focus_of(client, room)
    assert 'data-focus="speaker"' in speaking
    assert room.delegates[0].full_name in speaking
    assert 'data-timer-limit="120"' in speaking
    poll = room.open(title="Thông qua tờ trình")
    assert 'data-focus="vote"' in focus_of(client, room)
    assert f'data-progress="poll:{poll.id}"' in focus_of(client, room)
    polls.close_poll(session=session, poll=poll)
    waiting = focus_of(client, room)
    assert 'data-focus="pending"' in waiting
    assert 'data-live-expires="600"' in waiting
    polls.publish_poll(session=session, poll=poll)
    assert 'data-focus="speaker"' in focus_of(client, room)  # the floor before the result
    end_speech(session, room)
    result = focus_of(client, room)
    assert 'data-focus="result"' in result  # published after the item was set
    assert "poll-result" in result
    assert 'data-live-expires="600"' in result
    live.set_current_item(session, meeting=room.meeting, item_id=item.id)  # the chair moves on
    assert 'data-focus="item"' in focus_of(client, room)


def end_speech(session: Session, room: Room) -> None:
    speech = speakers.current_speech(session=session, meeting=room.meeting)
    assert speech is not None
    speakers.end_speech(session=session, meeting=room.meeting, speech=speech)


def test_a_result_leaves_the_projector_after_its_time(
    session: Session, hall: tuple[TestClient, Room]
) -> None:
    client, room = hall
    poll = room.open(title="Thông qua dự toán")
    polls.close_poll(session=session, poll=poll)
    polls.publish_poll(session=session, poll=poll)
    assert 'data-focus="result"' in focus_of(client, room)
    age(session, poll, RESULT_SHOWN_FOR + timedelta(seconds=5))
    assert 'data-focus="status"' in focus_of(client, room)


def age(session: Session, poll: Poll, by: timedelta) -> None:
    for name in ("opened_at", "closed_at", "published_at"):
        value = getattr(poll, name)
        if value is not None:
            setattr(poll, name, value - by)
    session.add(poll)
    session.commit()


@pytest.mark.parametrize(
    ("steps", "vietnamese"),
    [
        ((), "Cuộc họp chưa bắt đầu."),
        ((MeetingStatus.scheduled,), "Cuộc họp chưa bắt đầu."),
        ((MeetingStatus.scheduled, MeetingStatus.in_progress), "Cuộc họp đang diễn ra."),
        (
            (MeetingStatus.scheduled, MeetingStatus.in_progress, MeetingStatus.closed),
            "Cuộc họp đã kết thúc.",
        ),
        ((MeetingStatus.cancelled,), "Cuộc họp đã bị hủy."),
    ],
)
def test_the_status_line_fits_the_meeting_status(
    client: TestClient, session: Session, steps: tuple[MeetingStatus, ...], vietnamese: str
) -> None:
    clerk = make_person(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    for status in steps:
        scheduling.change_status(session=session, meeting=meeting, status=status)
    login(client, clerk)
    page = client.get(f"/projector/{meeting.id}?lang=vi").text
    assert vietnamese in page
    assert "chờ người chủ trì" not in page


def test_the_projector_page_is_one_header_and_one_focus(hall: tuple[TestClient, Room]) -> None:
    client, room = hall
    page = client.get(f"/projector/{room.meeting.id}?lang=en").text
    assert page.count("data-live-fragment=") == 1
    assert f'data-live-fragment="/projector/{room.meeting.id}/focus"' in page
    for event in ("poll.opened", "poll.published", "speakers_changed", "meeting.current_item"):
        assert event in page
    assert 'data-progress="attendance"' in page
    assert 'data-live-spread="0"' in page
    for gone in ("agenda", "poll", "speakers"):
        assert client.get(f"/projector/{room.meeting.id}/{gone}").status_code == 404


# The room: results and the current item, after a reload -----------------------------------------


def room_page(client: TestClient, room: Room, person: Person, part: str = "") -> str:
    login(client, person)
    response = client.get(f"/room/{room.meeting.id}{part}?lang=en")
    assert response.status_code == 200
    return response.text


def test_delegates_see_published_results_newest_first(client: TestClient, session: Session) -> None:
    room = make_room(session)
    first = room.open(title="Biểu quyết thứ nhất")
    room.cast(first, room.delegates[0], choice="yes")
    polls.close_poll(session=session, poll=first)
    polls.publish_poll(session=session, poll=first)
    second = room.open(title="Biểu quyết thứ hai", secret=True)
    room.cast(second, room.delegates[1], choice="no")
    polls.close_poll(session=session, poll=second)
    polls.publish_poll(session=session, poll=second)
    pending = room.open(title="Biểu quyết đang chờ")
    polls.close_poll(session=session, poll=pending)
    room.poll(title="Bản nháp không ai thấy")
    page = room_page(client, room, room.delegates[2])
    assert 'data-live-fragment="/room/' in page
    assert "poll.published" in page
    fragment = room_page(client, room, room.delegates[2], "/results")
    assert "Voting results" in fragment
    order = [fragment.index(title) for title in (pending.title, second.title, first.title)]
    assert order == sorted(order)  # newest first
    assert "the result will be announced shortly" in fragment
    assert fragment.count('class="poll-result"') == 2
    assert "Bản nháp không ai thấy" not in fragment
    # Totals only: never who voted what, nor the secret ballots' receipts.
    assert room.delegates[0].full_name not in fragment
    assert "Receipt codes" not in fragment
    # Rendered with the page, so that a reload shows them before any live event.
    assert page.count('class="poll-result"') == 2
    assert second.title in page


def test_the_results_fragment_is_for_those_who_see_the_meeting(
    client: TestClient, session: Session
) -> None:
    room = make_room(session)
    outsider = make_user(session)
    login(client, outsider)
    assert client.get(f"/room/{room.meeting.id}/results").status_code == 404
    client.cookies.clear()
    anonymous = client.get(f"/room/{room.meeting.id}/results", follow_redirects=False)
    assert anonymous.status_code in (303, 401)


def test_the_current_item_survives_a_reload(client: TestClient, session: Session) -> None:
    room = make_room(session)
    item = scheduling.add_agenda_item(
        session=session,
        meeting=room.meeting,
        data=AgendaItemCreate(title="Thảo luận ngân sách"),
    )
    before = room_page(client, room, room.delegates[0])
    assert 'data-live-show="current_title"' in before
    assert 'data-live-field="current_title"' in before
    assert (
        'class="now-discussing" data-live-show="current_title" aria-live="polite" hidden' in before
    )
    live.set_current_item(session, meeting=room.meeting, item_id=item.id)
    after = room_page(client, room, room.delegates[0])
    assert f'data-agenda-item="{item.id}" data-title="Thảo luận ngân sách" class="current"' in after
    assert 'aria-current="step"' in after
    assert '<strong data-live-field="current_title">Thảo luận ngân sách</strong>' in after
    assert 'aria-live="polite" hidden' not in after.split("now-discussing", 1)[1][:80]


# A screen whose link is bad or revoked ------------------------------------------------------------


def test_a_bad_or_revoked_projector_link_gets_a_page_that_says_so(
    client: TestClient, session: Session
) -> None:
    clerk = make_person(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    login(client, clerk)
    issued = issue_projector(client, meeting.id)
    assert client.post(f"/api/devices/{issued['id']}/revoke").status_code == 200
    client.cookies.clear()
    for token in (issued["token"], "nonsense"):
        page = client.get(f"/projector/{meeting.id}?token={token}", follow_redirects=False)
        assert page.status_code == 403
        assert "location" not in page.headers
        assert "trang Thiết bị" in page.text  # the site's language: Vietnamese by default
    english = client.get(f"/projector/{meeting.id}?token=nonsense&lang=en")
    assert screen_refused().detail in english.text  # the page's text is the refusal's


def test_a_bad_kiosk_link_says_what_to_do(client: TestClient, session: Session) -> None:
    clerk = make_person(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    client.cookies.clear()
    page = client.get(f"/kiosk/{meeting.id}?token=nonsense", follow_redirects=False)
    assert page.status_code == 403
    assert "location" not in page.headers
    # The error page, its detail translated by web/pages/error_words.py's table.
    assert "trang Thiết bị" in page.text, "error_words lacks web.auth.screen_refused's detail"
    api = client.post(
        f"/api/meetings/{meeting.id}/checkin/frame", headers={"authorization": "Bearer nonsense"}
    )
    assert api.status_code == 401  # the API keeps its JSON 401
    assert api.json()["error"] == "NotAuthenticatedError"


def test_staff_open_the_projector_without_a_token(client: TestClient, session: Session) -> None:
    clerk = make_person(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    login(client, clerk)
    assert client.get(f"/projector/{meeting.id}").status_code == 200
    assert client.get(f"/projector/{meeting.id}/focus").status_code == 200


def test_a_revoked_projector_page_says_so_over_its_socket(
    client: TestClient, session: Session
) -> None:
    """live.js shows data-live-revoked over the screen when its socket closes with 4001."""
    clerk = make_person(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    login(client, clerk)
    token = issue_projector(client, meeting.id)["token"]
    client.cookies.clear()
    page = client.get(f"/projector/{meeting.id}?token={token}&lang=vi").text
    assert 'data-live-revoked="Màn hình này không mở được cuộc họp"' in page
    assert "trang Thiết bị" in page
