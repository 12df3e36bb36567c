"""The speaker queue: present delegates ask for the floor per agenda item; the chair runs it.

Every change records a `speakers_changed` event carrying the whole queue of the item, so a
screen can render it from the event alone. Writes first lock the meeting row, which serialises
one meeting's queue changes on PostgreSQL and SQLite alike (so at most one person speaks).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from meetings import lifecycle
from meetings.access import can_manage, find_invitation
from meetings.errors import MeetingStateError
from meetings.lifecycle import Action
from meetings.presence import is_present
from meetings.scheduling import get_agenda_item
from models import MeetingRole, Person
from models.base import utcnow
from models.events import record_event
from models.meeting import Meeting
from models.speaker import SpeakerQueue, SpeechPublic, SpeechRequest, SpeechStatus

EVENT = "speakers_changed"
OPEN = (SpeechStatus.waiting, SpeechStatus.speaking)
QUEUE_STATES = (SpeechStatus.done, SpeechStatus.speaking, SpeechStatus.waiting)
# A sentinel: "the meeting's current item", as opposed to None, the general queue.
CURRENT = -1


class SpeechNotFoundError(NotFoundError):
    pass


class NotPresentError(PermissionDeniedError):
    pass


class NotADelegateError(PermissionDeniedError):
    pass


class NotYourRequestError(PermissionDeniedError):
    pass


class AlreadyRequestedError(ConflictError):
    pass


class SpeechStateError(ConflictError):
    pass


class MeetingNotRunningError(MeetingStateError):
    """The meeting's lifecycle refuses this change of the queue (meetings.lifecycle)."""


class InvalidQueueOrderError(InvalidInputError):
    pass


# Reading


def resolve_item(*, session: Session, meeting: Meeting, item_id: int | None) -> int | None:
    """The agenda item a request is about: CURRENT means the meeting's current item."""
    if item_id == CURRENT:
        return meeting.current_item_id
    if item_id is not None:
        get_agenda_item(session=session, meeting=meeting, item_id=item_id)
    return item_id


def get_speech(*, session: Session, meeting: Meeting, speech_id: int) -> SpeechRequest:
    """A request of this meeting, or SpeechNotFoundError."""
    speech = session.get(SpeechRequest, speech_id)
    if speech is None or speech.meeting_id != meeting.id:
        raise SpeechNotFoundError(f"Speech request {speech_id} not found")
    return speech


def list_queue(*, session: Session, meeting: Meeting, item_id: int | None) -> list[SpeechRequest]:
    """The item's requests in speaking order: done (as spoken), speaking, then waiting."""
    rows = session.exec(
        select(SpeechRequest).where(
            SpeechRequest.meeting_id == meeting.id,
            _item_is(item_id),
            col(SpeechRequest.status).in_(QUEUE_STATES),
        )
    ).all()
    return sorted(rows, key=_speaking_order)


def _speaking_order(speech: SpeechRequest) -> tuple[int, float, int, int]:
    rank = QUEUE_STATES.index(SpeechStatus(speech.status))
    started = speech.started_at.timestamp() if speech.started_at else 0.0
    return (rank, started, speech.position, speech.id or 0)


def _item_is(item_id: int | None) -> Any:
    if item_id is None:
        return col(SpeechRequest.agenda_item_id).is_(None)
    return col(SpeechRequest.agenda_item_id) == item_id


def current_speech(*, session: Session, meeting: Meeting) -> SpeechRequest | None:
    """Who has the floor in the meeting now, whatever the item."""
    query = select(SpeechRequest).where(
        SpeechRequest.meeting_id == meeting.id, SpeechRequest.status == SpeechStatus.speaking
    )
    return session.exec(query).first()


def open_request_of(
    *, session: Session, meeting: Meeting, person_id: int, item_id: int | None
) -> SpeechRequest | None:
    """The person's waiting or speaking request on the item, if any."""
    query = select(SpeechRequest).where(
        SpeechRequest.meeting_id == meeting.id,
        SpeechRequest.person_id == person_id,
        _item_is(item_id),
        col(SpeechRequest.status).in_(OPEN),
    )
    return session.exec(query).first()


def describe(session: Session, speeches: Sequence[SpeechRequest]) -> list[SpeechPublic]:
    """Requests as the API and the screens show them, with the speakers' names."""
    ids = {speech.person_id for speech in speeches}
    names = dict(
        session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(ids))).all()
    )
    return [
        SpeechPublic.model_validate(speech, update={"full_name": names.get(speech.person_id, "")})
        for speech in speeches
    ]


def queue_of(*, session: Session, meeting: Meeting, item_id: int | None) -> SpeakerQueue:
    """The item's queue and the meeting's current speaker."""
    queue = describe(session, list_queue(session=session, meeting=meeting, item_id=item_id))
    speaking = current_speech(session=session, meeting=meeting)
    return SpeakerQueue(
        agenda_item_id=item_id,
        speaking=describe(session, [speaking])[0] if speaking else None,
        queue=queue,
    )


# Writing


def request_floor(
    *,
    session: Session,
    meeting: Meeting,
    person: Person,
    item_id: int | None = CURRENT,
    note: str = "",
) -> SpeechRequest:
    """A present delegate asks to speak on an item; one open request per person and item."""
    assert person.id is not None
    with _locked(session, meeting):
        item = resolve_item(session=session, meeting=meeting, item_id=item_id)
        _require(session, meeting, Action.ask_to_speak)
        _require_present_delegate(session, meeting, person.id)
        if open_request_of(session=session, meeting=meeting, person_id=person.id, item_id=item):
            raise AlreadyRequestedError("You have already asked to speak on this agenda item")
        speech = SpeechRequest(
            meeting_id=_id(meeting),
            agenda_item_id=item,
            person_id=person.id,
            note=note.strip()[:300],
            position=_next_position(session, meeting, item),
        )
        session.add(speech)
        _commit(session, meeting, items={item})
    return speech


def withdraw_request(
    *, session: Session, meeting: Meeting, speech: SpeechRequest, viewer: Person
) -> SpeechRequest:
    """The delegate withdraws their own waiting request (the chair may remove any)."""
    with _locked(session, meeting):
        _require(session, meeting, Action.ask_to_speak)
        mine = speech.person_id == viewer.id
        if not mine and not can_manage(session, meeting=meeting, viewer=viewer):
            raise NotYourRequestError("Only the delegate who asked, or the chair, may withdraw it")
        _require_status(speech, SpeechStatus.waiting, "Only a waiting request can be withdrawn")
        speech.status = SpeechStatus.withdrawn
        speech.ended_at = utcnow()
        session.add(speech)
        _commit(session, meeting, items={speech.agenda_item_id})
    return speech


def reorder_queue(
    *, session: Session, meeting: Meeting, item_id: int | None, speech_ids: list[int]
) -> list[SpeechRequest]:
    """The chair puts the item's waiting requests in a new order (all of them, each once)."""
    with _locked(session, meeting):
        _require(session, meeting, Action.ask_to_speak)
        item = resolve_item(session=session, meeting=meeting, item_id=item_id)
        by_id = {speech.id: speech for speech in _waiting(session, meeting, item)}
        if len(speech_ids) != len(by_id) or set(speech_ids) != set(by_id):
            raise InvalidQueueOrderError(
                "Give every waiting request of the item exactly once", field="speech_ids"
            )
        ordered = [by_id[speech_id] for speech_id in speech_ids]
        _renumber(session, ordered)
        _commit(session, meeting, items={item})
    return ordered


def move_request(
    *, session: Session, meeting: Meeting, speech: SpeechRequest, offset: int
) -> SpeechRequest:
    """The chair moves a waiting request up (negative) or down the queue of its item."""
    with _locked(session, meeting):
        _require(session, meeting, Action.ask_to_speak)
        _require_status(speech, SpeechStatus.waiting, "Only a waiting request can be moved")
        waiting = _waiting(session, meeting, speech.agenda_item_id)
        index = waiting.index(speech)
        target = max(0, min(len(waiting) - 1, index + offset))
        waiting.insert(target, waiting.pop(index))
        _renumber(session, waiting)
        _commit(session, meeting, items={speech.agenda_item_id})
    return speech


def start_speech(
    *, session: Session, meeting: Meeting, speech: SpeechRequest, limit_seconds: int | None = None
) -> SpeechRequest:
    """Give the floor to a waiting delegate; whoever was speaking in the meeting stops."""
    with _locked(session, meeting):
        _require(session, meeting, Action.run_speakers)
        _require_status(speech, SpeechStatus.waiting, "Only a waiting request can be started")
        items = {speech.agenda_item_id}
        previous = current_speech(session=session, meeting=meeting)
        if previous is not None:
            _finish(session, previous)
            items.add(previous.agenda_item_id)
        speech.status = SpeechStatus.speaking
        speech.started_at = utcnow()
        if limit_seconds is not None:
            speech.limit_seconds = limit_seconds
        session.add(speech)
        _commit(session, meeting, items=items)
    return speech


def end_speech(*, session: Session, meeting: Meeting, speech: SpeechRequest) -> SpeechRequest:
    """The speech is over; it stays in the queue as done, for the minutes."""
    with _locked(session, meeting):
        _require(session, meeting, Action.run_speakers)
        _require_status(speech, SpeechStatus.speaking, "Only a speech in progress can be ended")
        _finish(session, speech)
        _commit(session, meeting, items={speech.agenda_item_id})
    return speech


def end_current_speech(*, session: Session, meeting: Meeting) -> SpeechRequest | None:
    """End whoever is speaking (when the meeting closes); nothing when no one is."""
    speech = current_speech(session=session, meeting=meeting)
    if speech is None:
        return None
    return end_speech(session=session, meeting=meeting, speech=speech)


# Helpers


@contextmanager
def _locked(session: Session, meeting: Meeting) -> Iterator[None]:
    """Hold the meeting's queue for one change; a refused change leaves nothing behind."""
    # A no-op UPDATE takes the meeting's row lock (PostgreSQL) or the write lock (SQLite)
    # before anything is read, so two chairs' clicks cannot both see "nobody speaking".
    session.execute(
        update(Meeting)
        .where(col(Meeting.id) == meeting.id)
        .values(event_seq=col(Meeting.event_seq))
    )
    # Read everything again under the lock: another change may have won the race.
    session.expire_all()
    try:
        yield
    except BaseException:
        session.rollback()
        raise


def _require(session: Session, meeting: Meeting, action: Action) -> None:
    lifecycle.require(session, meeting, action, error=MeetingNotRunningError)


def _require_present_delegate(session: Session, meeting: Meeting, person_id: int) -> None:
    invitation = find_invitation(session, meeting_id=_id(meeting), person_id=person_id)
    if invitation is None or invitation.role == MeetingRole.observer:
        raise NotADelegateError("Only delegates invited to the meeting may ask to speak")
    if not is_present(session=session, meeting_id=_id(meeting), person_id=person_id):
        raise NotPresentError("Check in at the meeting before asking to speak")


def _require_status(speech: SpeechRequest, status: SpeechStatus, detail: str) -> None:
    if speech.status != status:
        raise SpeechStateError(f"{detail} (this one is {speech.status})")


def _waiting(session: Session, meeting: Meeting, item_id: int | None) -> list[SpeechRequest]:
    rows = list_queue(session=session, meeting=meeting, item_id=item_id)
    return [row for row in rows if row.status == SpeechStatus.waiting]


def _next_position(session: Session, meeting: Meeting, item_id: int | None) -> int:
    waiting = _waiting(session, meeting, item_id)
    return max((row.position for row in waiting), default=0) + 1


def _renumber(session: Session, ordered: list[SpeechRequest]) -> None:
    for position, row in enumerate(ordered, start=1):
        row.position = position
        session.add(row)


def _finish(session: Session, speech: SpeechRequest) -> None:
    speech.status = SpeechStatus.done
    speech.ended_at = utcnow()
    session.add(speech)


def _commit(session: Session, meeting: Meeting, *, items: set[int | None]) -> None:
    """Record one event per changed item (with its whole queue), then commit."""
    session.flush()
    for item in sorted(items, key=lambda value: -1 if value is None else value):
        data = queue_of(session=session, meeting=meeting, item_id=item).model_dump(mode="json")
        record_event(session, meeting_id=_id(meeting), type=EVENT, data=data)
    session.commit()


def _id(meeting: Meeting) -> int:
    assert meeting.id is not None
    return meeting.id
