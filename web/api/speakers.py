"""The speaker queue: delegates ask for the floor; the chair reorders, starts and ends speeches."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from meetings import speakers
from meetings.access import can_manage
from meetings.errors import NotAllowedError
from models import Meeting, Person
from models.speaker import (
    SpeakerQueue,
    SpeechCreate,
    SpeechPublic,
    SpeechReorder,
    SpeechRequest,
    SpeechStart,
)
from web.deps import CurrentUser, ManagedMeetingDep, MeetingDep, SessionDep

router = APIRouter(tags=["speakers"])


def get_speech(
    speech_id: Annotated[int, Path()], meeting: MeetingDep, session: SessionDep
) -> SpeechRequest:
    return speakers.get_speech(session=session, meeting=meeting, speech_id=speech_id)


SpeechDep = Annotated[SpeechRequest, Depends(get_speech)]


def _public(session: SessionDep, speech: SpeechRequest) -> SpeechPublic:
    return speakers.describe(session, [speech])[0]


@router.get("/meetings/{meeting_id}/speakers")
def get_queue(
    meeting: MeetingDep,
    session: SessionDep,
    item_id: Annotated[int | None, Query(description="Default: the current agenda item")] = None,
) -> SpeakerQueue:
    """An item's queue in speaking order, and who has the floor now."""
    item = speakers.resolve_item(
        session=session, meeting=meeting, item_id=speakers.CURRENT if item_id is None else item_id
    )
    return speakers.queue_of(session=session, meeting=meeting, item_id=item)


@router.post("/meetings/{meeting_id}/speakers", status_code=201)
def ask_to_speak(
    data: SpeechCreate, meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> SpeechPublic:
    """Ask for the floor on an item (default: the current one); the chair may add a delegate."""
    speaker = _speaker(session, meeting, person, data.person_id)
    item = speakers.CURRENT if data.agenda_item_id is None else data.agenda_item_id
    speech = speakers.request_floor(
        session=session, meeting=meeting, person=speaker, item_id=item, note=data.note
    )
    return _public(session, speech)


def _speaker(
    session: SessionDep, meeting: Meeting, person: Person, person_id: int | None
) -> Person:
    if person_id is None or person_id == person.id:
        return person
    if not can_manage(session, meeting=meeting, viewer=person):
        raise NotAllowedError("Only the chair or the secretariat may add someone else")
    speaker = session.get(Person, person_id)
    if speaker is None:
        raise speakers.NotADelegateError("Only delegates invited to the meeting may ask to speak")
    return speaker


@router.post("/meetings/{meeting_id}/speakers/{speech_id}/withdraw")
def withdraw(
    speech: SpeechDep, meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> SpeechPublic:
    """Withdraw a waiting request: one's own, or any for the chair."""
    speakers.withdraw_request(session=session, meeting=meeting, speech=speech, viewer=person)
    return _public(session, speech)


@router.post("/meetings/{meeting_id}/speakers/reorder")
def reorder(data: SpeechReorder, meeting: ManagedMeetingDep, session: SessionDep) -> SpeakerQueue:
    """Put an item's waiting requests in a new order (chair or secretariat)."""
    item = speakers.resolve_item(session=session, meeting=meeting, item_id=data.agenda_item_id)
    speakers.reorder_queue(
        session=session, meeting=meeting, item_id=item, speech_ids=data.speech_ids
    )
    return speakers.queue_of(session=session, meeting=meeting, item_id=item)


@router.post("/meetings/{meeting_id}/speakers/{speech_id}/start")
def start(
    speech: SpeechDep,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    data: SpeechStart | None = None,
) -> SpeechPublic:
    """Give the floor (chair or secretariat); the previous speaker's speech ends."""
    limit = data.limit_seconds if data is not None else None
    speakers.start_speech(session=session, meeting=meeting, speech=speech, limit_seconds=limit)
    return _public(session, speech)


@router.post("/meetings/{meeting_id}/speakers/{speech_id}/end")
def end(speech: SpeechDep, meeting: ManagedMeetingDep, session: SessionDep) -> SpeechPublic:
    """End the speech in progress (chair or secretariat)."""
    speakers.end_speech(session=session, meeting=meeting, speech=speech)
    return _public(session, speech)
