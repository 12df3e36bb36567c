"""The meeting's lifecycle, asked by every domain: each action in each status (and once the
minutes are final) is accepted, or refused with a MeetingStateError that changes nothing."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from checkin import attendance
from meetings import documents, lifecycle, live, scheduling, speakers
from meetings.errors import MeetingStateError
from meetings.lifecycle import Action
from models import (
    AttendanceEntry,
    AttendanceMethod,
    Ballot,
    BallotCast,
    Document,
    Event,
    MeetingStatus,
    Poll,
    PollCreate,
    SpeechRequest,
)
from records import minutes
from tests.factories import Room, make_room, nonce
from voting import polls
from voting.batch import PendingCast, cast_ballots

# The statuses a meeting can be in, plus "final": closed with final minutes.
STATUSES = ("draft", "scheduled", "in_progress", "closed", "cancelled", "final")

# What each status accepts, written out rather than derived from meetings.lifecycle.
ACCEPTED: dict[str, set[Action]] = {
    "draft": {Action.draft_poll, Action.publish_document, Action.check_in},
    "scheduled": {
        Action.draft_poll,
        Action.publish_document,
        Action.check_in,
        Action.ask_to_speak,
    },
    "in_progress": set(Action),
    "closed": {Action.close_poll},
    "cancelled": {Action.close_poll},
    "final": set(),
}


@dataclass
class Stage:
    """A meeting with one of everything an action needs, then put in the status under test."""

    room: Room
    draft_poll: Poll
    open_poll: Poll
    speech: SpeechRequest
    document: Document

    @property
    def session(self) -> Session:
        return self.room.session


def build(session: Session, status: str) -> Stage:
    room = make_room(session, delegates=3, present=False)  # in progress while it is set up
    room.present(room.chair, *room.delegates[:2])  # the third delegate has not arrived
    speech = speakers.request_floor(session=session, meeting=room.meeting, person=room.chair)
    stage = Stage(
        room=room,
        draft_poll=room.poll(quorum_count=1),
        open_poll=room.open(quorum_count=1),
        speech=speech,
        document=_document(session, room),
    )
    _put_in(stage, status)
    return stage


def _document(session: Session, room: Room) -> Document:
    document = Document(meeting_id=room.meeting.id or 0, title="Tờ trình", current_version=1)
    session.add(document)
    session.commit()
    return document


def _put_in(stage: Stage, status: str) -> None:
    """Set the status directly: the set-up above needed a running meeting."""
    meeting, session = stage.room.meeting, stage.session
    meeting.status = MeetingStatus.closed if status == "final" else MeetingStatus(status)
    session.add(meeting)
    session.commit()
    if status == "final":
        minutes.draft_minutes(session=session, meeting=meeting, author=stage.room.clerk)
        minutes.finalise_minutes(session=session, meeting=meeting, person=stage.room.clerk)


def _draft_poll(stage: Stage) -> Any:
    data = PollCreate(title="Biểu quyết mới")
    room = stage.room
    return polls.create_poll(
        session=stage.session, meeting=room.meeting, data=data, creator=room.clerk
    )


def _open_poll(stage: Stage) -> Any:
    return polls.open_poll(session=stage.session, poll=stage.draft_poll)


def _cast_ballot(stage: Stage) -> Any:
    return stage.room.cast(stage.open_poll, stage.room.delegates[0], choice="yes")


def _close_poll(stage: Stage) -> Any:
    return polls.close_poll(session=stage.session, poll=stage.open_poll)


def _ask_to_speak(stage: Stage) -> Any:
    room = stage.room
    return speakers.request_floor(
        session=stage.session, meeting=room.meeting, person=room.delegates[0]
    )


def _run_speakers(stage: Stage) -> Any:
    meeting = stage.room.meeting
    return speakers.start_speech(session=stage.session, meeting=meeting, speech=stage.speech)


def _set_current_item(stage: Stage) -> Any:
    meeting = stage.room.meeting
    item = scheduling.list_agenda(session=stage.session, meeting=meeting)[0]
    return live.set_current_item(stage.session, meeting=meeting, item_id=item.id)


def _check_in(stage: Stage) -> Any:
    return attendance.record_check_in(
        session=stage.session,
        meeting=stage.room.meeting,
        person_id=stage.room.delegates[2].id or 0,
        method=AttendanceMethod.face,
    )


def _publish_document(stage: Stage) -> Any:
    return documents.publish_document(session=stage.session, document=stage.document)


CALLS: dict[Action, Callable[[Stage], Any]] = {
    Action.draft_poll: _draft_poll,
    Action.open_poll: _open_poll,
    Action.cast_ballot: _cast_ballot,
    Action.close_poll: _close_poll,
    Action.ask_to_speak: _ask_to_speak,
    Action.run_speakers: _run_speakers,
    Action.set_current_item: _set_current_item,
    Action.check_in: _check_in,
    Action.publish_document: _publish_document,
}


def snapshot(session: Session, stage: Stage) -> tuple[Any, ...]:
    """Everything an action could change, as committed."""
    session.expire_all()
    meeting_id = stage.room.meeting.id
    return (
        _count(session, Event, Event.meeting_id == meeting_id),
        _count(session, AttendanceEntry, AttendanceEntry.meeting_id == meeting_id),
        _count(session, Ballot, col(Ballot.poll_id) == stage.open_poll.id),
        _rows(session, select(Poll.id, Poll.status).where(Poll.meeting_id == meeting_id)),
        _rows(session, select(SpeechRequest.id, SpeechRequest.status)),
        _rows(session, select(Document.id, Document.status)),
        stage.room.meeting.current_item_id,
    )


def _count(session: Session, table: Any, where: Any) -> int:
    return session.exec(select(func.count()).select_from(table).where(where)).one()


def _rows(session: Session, query: Any) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in session.exec(query))


def test_the_table_names_every_action() -> None:
    assert set(CALLS) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", STATUSES)
def test_each_action_in_each_status(session: Session, status: str, action: Action) -> None:
    stage = build(session, status)
    accepted = action in ACCEPTED[status]
    assert lifecycle.allows(session, stage.room.meeting, action) is accepted
    before = snapshot(session, stage)
    if accepted:
        CALLS[action](stage)
        assert snapshot(session, stage) != before
        return
    with pytest.raises(MeetingStateError) as refused:
        CALLS[action](stage)
    assert refused.value.status_code == 409
    assert "meeting" in refused.value.detail
    assert snapshot(session, stage) == before


def test_a_refusal_says_why_in_words(session: Session) -> None:
    stage = build(session, "closed")
    with pytest.raises(MeetingStateError) as refused:
        _open_poll(stage)
    assert refused.value.detail == (
        "The meeting is closed: polls can be opened only while it is in progress"
    )
    final = build(session, "final")
    with pytest.raises(MeetingStateError) as locked:
        _close_poll(final)
    assert "minutes of the meeting are final" in locked.value.detail


def test_a_batch_of_casts_gets_the_refusal_per_cast(session: Session) -> None:
    stage = build(session, "closed")
    casts = [
        PendingCast(person.id or 0, BallotCast(nonce=nonce(), choice="yes"))
        for person in stage.room.delegates[:2]
    ]
    outcomes = cast_ballots(session=session, poll_id=stage.open_poll.id or 0, casts=casts)
    assert [type(outcome) for outcome in outcomes] == [MeetingStateError, MeetingStateError]
    assert _count(session, Ballot, col(Ballot.poll_id) == stage.open_poll.id) == 0


def test_allowed_actions_of_a_page(session: Session) -> None:
    stage = build(session, "scheduled")
    allowed = lifecycle.allowed_actions(session, stage.room.meeting)
    assert allowed == ACCEPTED["scheduled"]
