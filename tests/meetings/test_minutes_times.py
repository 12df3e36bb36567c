"""The minutes' time section tells when the meeting really started and closed (its status
changes in the event log), and says "theo kế hoạch" when it can only give the scheduled times."""

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from meetings import scheduling
from models import Event, Meeting, MeetingCreate, MeetingStatus, Person, Role
from records import minutes
from records.minutes_draft import meeting_times
from tests.factories import make_user

# 19:00 to 23:30 in Hanoi (UTC+7), as scheduled.
START = datetime(2027, 2, 5, 12, 0, tzinfo=UTC)
END = datetime(2027, 2, 5, 16, 30, tzinfo=UTC)


def _meeting(session: Session, clerk: Person) -> Meeting:
    data = MeetingCreate(title="Kỳ họp thứ hai", start_at=START, end_at=END, location="Hội trường")
    return scheduling.create_meeting(session=session, data=data, creator=clerk)


def _move(session: Session, meeting: Meeting, status: MeetingStatus, at: datetime) -> None:
    """Change the status as the pages do, then date the change as if it happened at `at`."""
    scheduling.change_status(session=session, meeting=meeting, status=status)
    event = session.exec(
        select(Event).where(Event.meeting_id == meeting.id).order_by(col(Event.seq).desc())
    ).first()
    assert event is not None
    assert event.type == "meeting.status"
    event.created_at = at
    session.add(event)
    session.commit()


def _sections(session: Session, meeting: Meeting, clerk: Person) -> dict[str, str]:
    drafted = minutes.draft_minutes(session=session, meeting=meeting, author=clerk)
    return {section.key: section.text for section in minutes.body_of(drafted).sections}


def _clerk(session: Session) -> Person:
    return make_user(session, role=Role.secretariat)


def test_a_closed_meeting_has_its_actual_start_and_close(session: Session) -> None:
    clerk = _clerk(session)
    meeting = _meeting(session, clerk)
    _move(session, meeting, MeetingStatus.scheduled, datetime(2027, 2, 1, 3, 0, tzinfo=UTC))
    _move(session, meeting, MeetingStatus.in_progress, datetime(2027, 2, 5, 12, 5, tzinfo=UTC))
    _move(session, meeting, MeetingStatus.closed, datetime(2027, 2, 5, 14, 2, tzinfo=UTC))
    text = _sections(session, meeting, clerk)
    assert text["time_place"].splitlines()[0] == (
        "Thời gian: từ 19 giờ 05 đến 21 giờ 02, ngày 05 tháng 02 năm 2027."
    )
    assert text["closing"] == "Cuộc họp kết thúc lúc 21 giờ 02 cùng ngày."
    assert "23 giờ 30" not in "\n".join(text.values())


def test_a_meeting_past_midnight_names_the_day_it_closed(session: Session) -> None:
    clerk = _clerk(session)
    meeting = _meeting(session, clerk)
    _move(session, meeting, MeetingStatus.scheduled, datetime(2027, 2, 1, 3, 0, tzinfo=UTC))
    _move(session, meeting, MeetingStatus.in_progress, datetime(2027, 2, 5, 12, 30, tzinfo=UTC))
    _move(session, meeting, MeetingStatus.closed, datetime(2027, 2, 5, 17, 15, tzinfo=UTC))
    text = _sections(session, meeting, clerk)
    assert text["time_place"].startswith(
        "Thời gian: từ 19 giờ 30 đến 00 giờ 15 ngày 06 tháng 02 năm 2027, ngày 05 tháng 02"
    )
    assert text["closing"] == "Cuộc họp kết thúc lúc 00 giờ 15 ngày 06 tháng 02 năm 2027."


def test_a_meeting_still_in_progress_gives_the_planned_end_as_such(session: Session) -> None:
    clerk = _clerk(session)
    meeting = _meeting(session, clerk)
    _move(session, meeting, MeetingStatus.scheduled, datetime(2027, 2, 1, 3, 0, tzinfo=UTC))
    _move(session, meeting, MeetingStatus.in_progress, datetime(2027, 2, 5, 11, 55, tzinfo=UTC))
    text = _sections(session, meeting, clerk)
    assert text["time_place"].splitlines()[0] == (
        "Thời gian: từ 18 giờ 55 đến 23 giờ 30 (dự kiến), ngày 05 tháng 02 năm 2027."
    )
    assert text["closing"] == "Cuộc họp kết thúc lúc … (theo kế hoạch: 23 giờ 30)."


def test_a_meeting_that_never_started_says_its_times_are_scheduled(session: Session) -> None:
    clerk = _clerk(session)
    meeting = _meeting(session, clerk)
    text = _sections(session, meeting, clerk)
    assert text["time_place"].splitlines()[0] == (
        "Thời gian (theo kế hoạch): từ 19 giờ 00 đến 23 giờ 30, ngày 05 tháng 02 năm 2027."
    )
    assert "theo kế hoạch" in text["closing"]


def test_the_times_come_from_the_meetings_own_log(session: Session) -> None:
    clerk = _clerk(session)
    meeting, other = _meeting(session, clerk), _meeting(session, clerk)
    _move(session, other, MeetingStatus.scheduled, datetime(2027, 2, 1, 3, 0, tzinfo=UTC))
    _move(session, other, MeetingStatus.in_progress, datetime(2027, 2, 5, 12, 10, tzinfo=UTC))
    times = meeting_times(session=session, meeting=meeting)
    assert (times.started, times.closed) == (False, False)
    assert times.start == meeting.start_at
