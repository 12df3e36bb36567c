"""Speaker queue rules, through the domain services."""

import threading
from dataclasses import dataclass

import pytest
from sqlmodel import Session, select

from checkin.attendance import record_check_out
from meetings import scheduling, speakers
from meetings.errors import AgendaItemNotFoundError
from models import (
    AgendaItemCreate,
    Event,
    Meeting,
    MeetingRole,
    MeetingStatus,
    Person,
    Role,
)
from models.speaker import SpeechRequest, SpeechStatus
from tests.factories import check_in, invite, make_meeting, make_user, start_meeting


@dataclass
class Hall:
    meeting: Meeting
    chair: Person
    delegates: list[Person]
    item_id: int


@pytest.fixture
def hall(session: Session) -> Hall:
    """A running meeting on its first item, with three delegates checked in."""
    clerk = make_user(session, role=Role.secretariat)
    chair = make_user(session)
    meeting = make_meeting(session, creator=clerk, chair=chair)
    delegates = [make_user(session) for _ in range(3)]
    for person in delegates:
        invite(session, meeting, person)
        check_in(session, meeting, person)
    start_meeting(session, meeting)
    item_id = scheduling.list_agenda(session=session, meeting=meeting)[0].id
    assert item_id is not None
    from meetings.live import set_current_item

    set_current_item(session, meeting=meeting, item_id=item_id)
    return Hall(meeting, chair, delegates, item_id)


def ask(session: Session, hall: Hall, n: int) -> SpeechRequest:
    return speakers.request_floor(session=session, meeting=hall.meeting, person=hall.delegates[n])


def queue_events(session: Session, meeting: Meeting) -> list[Event]:
    query = select(Event).where(Event.meeting_id == meeting.id, Event.type == "speakers_changed")
    return list(session.exec(query.order_by(Event.seq)))  # type: ignore[arg-type]


def test_a_present_delegate_asks_for_the_current_item(session: Session, hall: Hall) -> None:
    first, second = ask(session, hall, 0), ask(session, hall, 1)
    assert (first.agenda_item_id, first.status, first.position) == (hall.item_id, "waiting", 1)
    assert second.position == 2
    queue = speakers.list_queue(session=session, meeting=hall.meeting, item_id=hall.item_id)
    assert [row.id for row in queue] == [first.id, second.id]


def test_a_delegate_not_checked_in_is_refused_with_the_reason(session: Session, hall: Hall) -> None:
    person = hall.delegates[0]
    assert person.id is not None
    record_check_out(session=session, meeting=hall.meeting, person_id=person.id)
    with pytest.raises(speakers.NotPresentError, match="Check in") as refused:
        ask(session, hall, 0)
    assert refused.value.status_code == 403
    assert speakers.list_queue(session=session, meeting=hall.meeting, item_id=hall.item_id) == []


def test_people_not_invited_and_observers_may_not_ask(session: Session, hall: Hall) -> None:
    stranger = make_user(session)
    observer = make_user(session)
    invite(session, hall.meeting, observer, role=MeetingRole.observer)
    check_in(session, hall.meeting, observer)
    for person in (stranger, observer):
        with pytest.raises(speakers.NotADelegateError):
            speakers.request_floor(session=session, meeting=hall.meeting, person=person)


def test_one_open_request_per_person_and_item(session: Session, hall: Hall) -> None:
    first = ask(session, hall, 0)
    with pytest.raises(speakers.AlreadyRequestedError) as duplicate:
        ask(session, hall, 0)
    assert duplicate.value.status_code == 409
    other = scheduling.add_agenda_item(
        session=session, meeting=hall.meeting, data=AgendaItemCreate(title="Thảo luận")
    )
    elsewhere = speakers.request_floor(
        session=session, meeting=hall.meeting, person=hall.delegates[0], item_id=other.id
    )
    assert elsewhere.agenda_item_id == other.id
    speakers.withdraw_request(
        session=session, meeting=hall.meeting, speech=first, viewer=hall.delegates[0]
    )
    again = ask(session, hall, 0)
    assert again.status == SpeechStatus.waiting


def test_an_unknown_item_is_not_found(session: Session, hall: Hall) -> None:
    with pytest.raises(AgendaItemNotFoundError):
        speakers.request_floor(
            session=session, meeting=hall.meeting, person=hall.delegates[0], item_id=999_999
        )


def test_only_the_delegate_or_the_chair_withdraws(session: Session, hall: Hall) -> None:
    speech = ask(session, hall, 0)
    with pytest.raises(speakers.NotYourRequestError):
        speakers.withdraw_request(
            session=session, meeting=hall.meeting, speech=speech, viewer=hall.delegates[1]
        )
    assert speech.status == SpeechStatus.waiting
    speakers.withdraw_request(
        session=session, meeting=hall.meeting, speech=speech, viewer=hall.chair
    )
    assert speech.status == SpeechStatus.withdrawn
    assert speakers.list_queue(session=session, meeting=hall.meeting, item_id=hall.item_id) == []


def test_the_chair_reorders_and_moves(session: Session, hall: Hall) -> None:
    a, b, c = (ask(session, hall, n) for n in range(3))
    ids = [c.id or 0, a.id or 0, b.id or 0]
    speakers.reorder_queue(
        session=session, meeting=hall.meeting, item_id=hall.item_id, speech_ids=ids
    )
    assert _order(session, hall) == ids
    speakers.move_request(session=session, meeting=hall.meeting, speech=b, offset=-1)
    assert _order(session, hall) == [c.id, b.id, a.id]
    speakers.move_request(session=session, meeting=hall.meeting, speech=c, offset=-1)
    assert _order(session, hall) == [c.id, b.id, a.id]


def test_a_reorder_must_name_every_waiting_request_once(session: Session, hall: Hall) -> None:
    a, b = ask(session, hall, 0), ask(session, hall, 1)
    for wrong in ([a.id or 0], [a.id or 0, a.id or 0], [a.id or 0, b.id or 0, 12345]):
        with pytest.raises(speakers.InvalidQueueOrderError) as refused:
            speakers.reorder_queue(
                session=session, meeting=hall.meeting, item_id=hall.item_id, speech_ids=wrong
            )
        assert refused.value.status_code == 422
    assert _order(session, hall) == [a.id, b.id]


def _order(session: Session, hall: Hall) -> list[int | None]:
    queue = speakers.list_queue(session=session, meeting=hall.meeting, item_id=hall.item_id)
    return [row.id for row in queue if row.status == SpeechStatus.waiting]


def test_starting_a_speech_ends_the_previous_one(session: Session, hall: Hall) -> None:
    a, b = ask(session, hall, 0), ask(session, hall, 1)
    speakers.start_speech(session=session, meeting=hall.meeting, speech=a, limit_seconds=120)
    assert (a.status, a.limit_seconds) == (SpeechStatus.speaking, 120)
    assert a.started_at is not None
    speakers.start_speech(session=session, meeting=hall.meeting, speech=b)
    session.refresh(a)
    assert a.status == SpeechStatus.done
    assert a.ended_at is not None
    speaking = session.exec(
        select(SpeechRequest).where(SpeechRequest.status == SpeechStatus.speaking)
    ).all()
    assert [row.id for row in speaking] == [b.id]
    assert speakers.current_speech(session=session, meeting=hall.meeting) == b
    queue = speakers.list_queue(session=session, meeting=hall.meeting, item_id=hall.item_id)
    assert [row.id for row in queue] == [a.id, b.id]


def test_only_waiting_requests_start_and_only_speeches_end(session: Session, hall: Hall) -> None:
    speech = ask(session, hall, 0)
    with pytest.raises(speakers.SpeechStateError):
        speakers.end_speech(session=session, meeting=hall.meeting, speech=speech)
    speakers.start_speech(session=session, meeting=hall.meeting, speech=speech)
    with pytest.raises(speakers.SpeechStateError) as error:
        speakers.start_speech(session=session, meeting=hall.meeting, speech=speech)
    assert error.value.status_code == 409
    with pytest.raises(speakers.SpeechStateError):
        speakers.withdraw_request(
            session=session, meeting=hall.meeting, speech=speech, viewer=hall.delegates[0]
        )
    speakers.end_speech(session=session, meeting=hall.meeting, speech=speech)
    assert speech.status == SpeechStatus.done
    assert speakers.current_speech(session=session, meeting=hall.meeting) is None


def test_no_one_speaks_before_the_meeting_starts(session: Session, hall: Hall) -> None:
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    invite(session, meeting, hall.delegates[0])
    check_in(session, meeting, hall.delegates[0])
    with pytest.raises(speakers.MeetingNotRunningError):
        speakers.request_floor(session=session, meeting=meeting, person=hall.delegates[0])
    scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.scheduled)
    speech = speakers.request_floor(session=session, meeting=meeting, person=hall.delegates[0])
    assert speech.agenda_item_id is None  # no current item yet: the general queue
    with pytest.raises(speakers.MeetingNotRunningError):
        speakers.start_speech(session=session, meeting=meeting, speech=speech)
    assert speech.status == SpeechStatus.waiting


def test_every_change_records_the_whole_queue(session: Session, hall: Hall) -> None:
    a, b = ask(session, hall, 0), ask(session, hall, 1)
    speakers.start_speech(session=session, meeting=hall.meeting, speech=a)
    events = queue_events(session, hall.meeting)
    assert len(events) == 3
    data = events[-1].data
    assert data["agenda_item_id"] == hall.item_id
    assert [row["id"] for row in data["queue"]] == [a.id, b.id]
    assert [row["status"] for row in data["queue"]] == ["speaking", "waiting"]
    assert data["speaking"]["full_name"] == hall.delegates[0].full_name
    assert data["speaking"]["started_at"]


def test_a_refused_change_records_nothing(session: Session, hall: Hall) -> None:
    ask(session, hall, 0)
    before = len(queue_events(session, hall.meeting))
    with pytest.raises(speakers.AlreadyRequestedError):
        ask(session, hall, 0)
    assert len(queue_events(session, hall.meeting)) == before


def test_two_concurrent_starts_leave_one_speaker(session: Session, hall: Hall) -> None:
    ids = [ask(session, hall, n).id for n in range(2)]
    barrier = threading.Barrier(2)
    bind = session.get_bind()

    def start(speech_id: int | None) -> None:
        with Session(bind, expire_on_commit=False) as own:
            meeting = own.get(Meeting, hall.meeting.id)
            assert meeting is not None
            speech = speakers.get_speech(session=own, meeting=meeting, speech_id=speech_id or 0)
            barrier.wait()
            speakers.start_speech(session=own, meeting=meeting, speech=speech)

    threads = [threading.Thread(target=start, args=(speech_id,)) for speech_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    session.expire_all()
    rows = speakers.list_queue(session=session, meeting=hall.meeting, item_id=hall.item_id)
    assert sorted(str(row.status) for row in rows) == ["done", "speaking"]
