"""The attendance ledger: appended rows, events in the same transaction, presence, counts."""

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from checkin import attendance
from checkin.errors import (
    InvalidThresholdsError,
    MeetingNotOpenError,
    NotInvitedError,
    PersonNotFoundError,
)
from checkin.kiosk import Kiosk
from checkin.policy import get_policy, thresholds, update_policy
from meetings import presence, scheduling
from models import (
    AttendanceEntry,
    AttendanceKind,
    AttendanceMethod,
    CheckinPolicyUpdate,
    Event,
    InvitationCreate,
    Meeting,
    MeetingStatus,
    Person,
)
from models.base import as_utc, utcnow
from models.events import PUBLISH, CommittedEvent
from tests.factories import invite, make_person


@pytest.fixture
def delegates(session: Session, meeting: Meeting) -> list[Person]:
    people = [make_person(session) for _ in range(3)]
    for person in people[:2]:
        invite(session, meeting, person)
    # The third invitee observes without a vote.
    data = InvitationCreate(person_id=people[2].id or 0, voting_right=False)
    scheduling.invite(session=session, meeting=meeting, data=data)
    return people


def events_of(session: Session, meeting: Meeting) -> list[Event]:
    """The meeting's attendance events (other services record events of their own)."""
    query = select(Event).where(Event.meeting_id == meeting.id, Event.type == "attendance.changed")
    return list(session.exec(query.order_by(col(Event.seq))))


def test_a_check_in_appends_a_row_and_an_event_in_one_transaction(
    session: Session, meeting: Meeting, delegates: list[Person], clerk: Person
) -> None:
    published: list[CommittedEvent] = []
    session.info[PUBLISH] = published.extend
    person = delegates[0]
    change = attendance.record_check_in(
        session=session,
        meeting=meeting,
        person_id=person.id or 0,
        method=AttendanceMethod.face,
        distance=0.3612,
        kiosk="Cửa chính",
    )
    assert change.changed
    assert change.present
    entry = change.entry
    assert (entry.kind, entry.method, entry.kiosk) == ("check_in", "face", "Cửa chính")
    assert entry.distance == pytest.approx(0.3612)
    [event] = events_of(session, meeting)
    assert event.type == "attendance.changed"
    assert event.data["person_id"] == person.id
    assert event.data["present"] is True
    assert event.data["method"] == "face"
    assert event.data["counts"] == {
        "present": 1,
        "invited": 3,
        "voting_present": 1,
        "voting_invited": 2,
    }
    assert "distance" not in event.data
    assert [e.seq for e in published if e.type == "attendance.changed"] == [event.seq]


def test_checking_in_twice_changes_nothing(
    session: Session, meeting: Meeting, delegates: list[Person]
) -> None:
    person_id = delegates[0].id or 0
    first = attendance.record_check_in(
        session=session, meeting=meeting, person_id=person_id, method=AttendanceMethod.face
    )
    again = attendance.record_check_in(
        session=session, meeting=meeting, person_id=person_id, method=AttendanceMethod.manual
    )
    assert not again.changed
    assert again.entry.id == first.entry.id
    assert again.present
    assert len(attendance.list_entries(session=session, meeting_id=meeting.id or 0)) == 1
    assert len(events_of(session, meeting)) == 1


def test_check_out_and_back_in_keeps_the_whole_ledger(
    session: Session, meeting: Meeting, delegates: list[Person], clerk: Person
) -> None:
    person_id = delegates[0].id or 0
    start = utcnow()
    attendance.record_check_in(
        session=session,
        meeting=meeting,
        person_id=person_id,
        method=AttendanceMethod.qr,
        at=start,
    )
    out = attendance.record_check_out(
        session=session,
        meeting=meeting,
        person_id=person_id,
        operator_id=clerk.id,
        reason="left for another meeting",
        at=start + timedelta(minutes=40),
    )
    assert out.changed
    assert not out.present
    assert out.counts.present == 0
    assert not attendance.record_check_out(
        session=session, meeting=meeting, person_id=person_id
    ).changed
    attendance.record_check_in(
        session=session,
        meeting=meeting,
        person_id=person_id,
        method=AttendanceMethod.manual,
        operator_id=clerk.id,
        reason="back",
        at=start + timedelta(minutes=55),
    )
    ledger = attendance.list_entries(session=session, meeting_id=meeting.id or 0)
    assert [(e.kind, e.method) for e in ledger] == [
        (AttendanceKind.check_in, AttendanceMethod.qr),
        (AttendanceKind.check_out, AttendanceMethod.manual),
        (AttendanceKind.check_in, AttendanceMethod.manual),
    ]
    assert ledger[1].operator_id == clerk.id
    assert ledger[1].reason == "left for another meeting"
    assert [e.data["present"] for e in events_of(session, meeting)] == [True, False, True]
    arrivals = attendance.arrival_times(session=session, meeting_id=meeting.id or 0)
    assert abs(arrivals[person_id] - start) < timedelta(seconds=1)


def test_counts_and_report(session: Session, meeting: Meeting, delegates: list[Person]) -> None:
    for person in delegates[1:]:
        attendance.record_check_in(
            session=session, meeting=meeting, person_id=person.id or 0, method=AttendanceMethod.face
        )
    counts = attendance.attendance_counts(session=session, meeting_id=meeting.id or 0)
    assert counts.as_dict() == {
        "present": 2,
        "invited": 3,
        "voting_present": 1,
        "voting_invited": 2,
    }
    assert presence.present_person_ids(session=session, meeting_id=meeting.id or 0) == {
        delegates[1].id,
        delegates[2].id,
    }
    report = {
        row.person_id: row
        for row in attendance.attendance_report(session=session, meeting_id=meeting.id or 0)
    }
    assert set(report) == {person.id for person in delegates}
    absent, present = report[delegates[0].id or 0], report[delegates[1].id or 0]
    assert (absent.present, absent.arrived_at, absent.method) == (False, None, None)
    assert present.present
    assert present.method == AttendanceMethod.face
    assert present.arrived_at is not None
    assert as_utc(present.arrived_at) <= utcnow()
    assert report[delegates[2].id or 0].voting_right is False


def test_only_invitees_can_be_checked_in(
    session: Session, meeting: Meeting, delegates: list[Person]
) -> None:
    stranger = make_person(session)
    with pytest.raises(NotInvitedError) as caught:
        attendance.record_check_in(
            session=session,
            meeting=meeting,
            person_id=stranger.id or 0,
            method=AttendanceMethod.manual,
        )
    assert caught.value.status_code == 403
    with pytest.raises(PersonNotFoundError) as missing:
        attendance.record_check_in(
            session=session, meeting=meeting, person_id=98765, method=AttendanceMethod.manual
        )
    assert missing.value.status_code == 404
    assert session.exec(select(AttendanceEntry)).all() == []
    assert events_of(session, meeting) == []


def test_a_closed_meeting_takes_no_attendance(
    session: Session, meeting: Meeting, delegates: list[Person]
) -> None:
    meeting.status = MeetingStatus.closed
    session.add(meeting)
    session.commit()
    with pytest.raises(MeetingNotOpenError):
        attendance.record_check_in(
            session=session,
            meeting=meeting,
            person_id=delegates[0].id or 0,
            method=AttendanceMethod.manual,
        )


def test_policy_defaults_updates_and_kiosk(session: Session, meeting: Meeting) -> None:
    meeting_id = meeting.id or 0
    default = get_policy(session=session, meeting_id=meeting_id)
    assert (default.accept_threshold, default.grey_threshold) == (0.50, 0.58)
    assert not default.require_liveness
    changed = update_policy(
        session=session,
        meeting=meeting,
        data=CheckinPolicyUpdate(accept_threshold=0.45, require_liveness=True),
    )
    assert thresholds(changed).accept == 0.45
    kiosk = Kiosk.from_policy(
        name="Cửa A", policy=get_policy(session=session, meeting_id=meeting_id)
    )
    assert kiosk.needs_landmarks
    assert kiosk.frame_options(now=0.0).landmarks
    with pytest.raises(InvalidThresholdsError):
        update_policy(
            session=session, meeting=meeting, data=CheckinPolicyUpdate(accept_threshold=0.7)
        )
    session.expire_all()
    assert get_policy(session=session, meeting_id=meeting_id).accept_threshold == 0.45


def test_a_failure_before_commit_leaves_neither_row_nor_event(
    session: Session, meeting: Meeting, delegates: list[Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("event log unavailable")

    monkeypatch.setattr(attendance, "record_event", broken)
    with pytest.raises(RuntimeError):
        attendance.record_check_in(
            session=session,
            meeting=meeting,
            person_id=delegates[0].id or 0,
            method=AttendanceMethod.face,
        )
    session.rollback()
    assert session.exec(select(AttendanceEntry)).all() == []
    assert events_of(session, meeting) == []
