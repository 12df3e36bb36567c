"""Confirming the voter's face at vote time: the tablet's face check and the chair's desk permit.

    GET  /api/polls/{id}/face-check        what the tablet must send (frames, liveness)
    POST /api/polls/{id}/face-check        frames in (multipart `frames`), a one-time permit out
    POST /api/polls/{id}/desk-permits      the chair lets a member vote after a desk check

The ballot then carries the permit (`permit` in POST /api/polls/{id}/ballots or in the
websocket's ballot message). Face work runs in the process pool, database work in a thread:
the cheap refusals (not asked, may not vote, no enrolled face) come before any face work.
"""

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from checkin import engine
from checkin.engine import FrameAnalysis, FrameOptions
from checkin.errors import EmptyImageError, ImageTooLargeError
from models import Person, Poll
from models.base import MAX_ID
from models.poll import DeskPermitCreate
from voting import face_check, permits
from voting.errors import InvalidBallotError
from web import faces, metrics, ratelimit
from web.api.polls import ManagedPollDep, PollDep
from web.deps import CurrentUser, SessionDep, StateDep, get_gettext
from web.state import AppState

router = APIRouter(tags=["polls"])
# A tablet frame is a JPEG of about 640x480: tens of kilobytes.
MAX_FRAME_BYTES = 2 * 1024 * 1024


class FaceCheckInfo(BaseModel):
    """What the tablet does before a ballot: nothing, or frames to send (a burst when the
    meeting requires liveness); and whether the chair already allowed this voter."""

    confirm_face: bool
    frames: int = 0
    interval_ms: int = 0
    liveness: bool = False
    allowed_by_desk: bool = False


class FacePermitPublic(BaseModel):
    """The one-time permit: send it with the ballot before it expires."""

    permit: str
    expires_at: datetime


class DeskPermitPublic(BaseModel):
    voter_id: int
    granted_by: int | None
    reason: str
    expires_at: datetime


@router.get("/polls/{poll_id}/face-check")
def face_check_info(
    poll: PollDep,
    session: SessionDep,
    person: CurrentUser,
    on_behalf_of: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> FaceCheckInfo:
    """Whether a ballot of this poll needs the face confirmed, and how."""
    steps = face_check.tablet_steps(
        session=session, poll=poll, person=person, on_behalf_of=on_behalf_of
    )
    interval = int(face_check.BURST_INTERVAL_S * 1000) if steps.confirm_face else 0
    return FaceCheckInfo(**asdict(steps), interval_ms=interval)


@router.post("/polls/{poll_id}/face-check")
async def check_face(
    poll: PollDep,
    person: CurrentUser,
    session: SessionDep,
    state: StateDep,
    request: Request,
    frames: Annotated[list[UploadFile], File()],
    on_behalf_of: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> FacePermitPublic:
    """The camera's frames of the person at the tablet, matched against their own face only;
    a one-time permit to cast when it is them (403 when not, 422 for no or several faces)."""
    assert poll.id is not None
    assert person.id is not None
    poll_id, person_id = poll.id, person.id
    session.close()  # hold no connection during the face work
    key = f"face-check:{person_id}"
    await ratelimit.check_kiosk_frame(state, device_key=key, gettext=get_gettext(request))
    images = [await _read_frame(upload) for upload in frames[: face_check.MAX_FRAMES + 1]]
    if len(images) > face_check.MAX_FRAMES:
        raise InvalidBallotError(f"Send at most {face_check.MAX_FRAMES} frames", field="frames")
    plan = await run_in_threadpool(_plan, state, poll_id, person_id, on_behalf_of)
    options = FrameOptions(detect=engine.PHOTO_DETECTION, landmarks=plan.liveness)
    analyses = [await _analyse(state, data, options) for data in images]
    issued = await run_in_threadpool(_check, state, poll_id, person_id, on_behalf_of, analyses)
    assert issued.token is not None
    return FacePermitPublic(permit=issued.token, expires_at=issued.expires_at)


async def _read_frame(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_FRAME_BYTES + 1)
    if len(data) > MAX_FRAME_BYTES:
        raise ImageTooLargeError("A frame is larger than 2 MB", field="frames")
    if not data:
        raise EmptyImageError("The image is empty", field="frames")
    return data


async def _analyse(state: AppState, data: bytes, options: FrameOptions) -> FrameAnalysis:
    # One frame at a time: a burst must not take every slot of the pool the kiosks share.
    await faces.check_image(data)
    return await metrics.face_job(
        "check", faces.services(state).pool.run(engine.analyse_frame, data, options)
    )


def _people(session: Session, poll_id: int, person_id: int) -> tuple[Poll, Person]:
    poll, person = session.get(Poll, poll_id), session.get(Person, person_id)
    assert poll is not None
    assert person is not None
    return poll, person


def _plan(
    state: AppState, poll_id: int, person_id: int, on_behalf_of: int | None
) -> face_check.FaceCheckPlan:
    with faces.open_session(state) as session:
        poll, person = _people(session, poll_id, person_id)
        return face_check.plan_face_check(
            session=session,
            cipher=faces.services(state).cipher,
            poll=poll,
            person=person,
            on_behalf_of=on_behalf_of,
        )


def _check(
    state: AppState,
    poll_id: int,
    person_id: int,
    on_behalf_of: int | None,
    analyses: list[FrameAnalysis],
) -> permits.IssuedPermit:
    with faces.open_session(state) as session:
        poll, person = _people(session, poll_id, person_id)
        return face_check.check_face(
            session=session,
            cipher=faces.services(state).cipher,
            poll=poll,
            person=person,
            analyses=analyses,
            on_behalf_of=on_behalf_of,
        )


@router.post("/polls/{poll_id}/desk-permits", status_code=201)
def allow_after_desk_check(
    data: DeskPermitCreate, poll: ManagedPollDep, session: SessionDep, person: CurrentUser
) -> DeskPermitPublic:
    """The chair (or the secretariat) lets a member vote after the desk checked them; the
    member's next ballot takes the permit. Recorded in the audit trail with the reason."""
    issued = face_check.allow_after_desk_check(
        session=session, poll=poll, voter_id=data.voter_id, chair=person, reason=data.reason
    )
    return DeskPermitPublic(
        voter_id=issued.permit.voter_id,
        granted_by=issued.permit.granted_by,
        reason=issued.permit.reason,
        expires_at=issued.expires_at,
    )
