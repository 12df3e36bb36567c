"""Templates that learn, live: the kiosk frames remembered, and the learning step that the kiosk
socket (QR code, grey-zone tap) and the desk (API and page) run after a confirmed check-in.

The rules are checkin.learning's and checkin.gallery.learn_template's; this module only moves
the work to where it belongs: the frame's face and quality are measured in the face pool (the
enrolment gate), the policy, consent and storage run in a thread. Learning is best effort: a
check-in stands whatever happens here, and a failure is logged without any face data.
"""

import logging
import time

from fastapi import BackgroundTasks
from starlette.concurrency import run_in_threadpool

from checkin import gallery
from checkin.arrivals import Arrival
from checkin.attendance import AttendanceChange
from checkin.engine import FrameAnalysis
from checkin.errors import (
    FaceTooBlurryError,
    FaceTooSmallError,
    MultipleFacesError,
    NoFaceFoundError,
)
from checkin.gallery import LearnResult
from checkin.learning import Confirmation, Glimpse, Refusal, Sighting, may_teach
from models import AttendanceMethod
from web import faces
from web.state import AppState

log = logging.getLogger("hop.learning")

# What the enrolment gate's refusal of a remembered frame means for learning.
GATE_REFUSALS: tuple[tuple[type[Exception], Refusal], ...] = (
    (NoFaceFoundError, Refusal.no_sighting),
    (MultipleFacesError, Refusal.crowded),
    (FaceTooSmallError, Refusal.too_small),
    (FaceTooBlurryError, Refusal.too_blurry),
)


def remember(
    state: AppState,
    *,
    meeting_id: int,
    kiosk: str,
    frame: bytes,
    analysis: FrameAnalysis,
    at: float,
) -> None:
    """Note what a kiosk frame showed (one face: the frame; several: crowded)."""
    faces.services(state).cache.recent.saw(
        meeting_id=meeting_id, kiosk=kiosk, frame=frame, faces=len(analysis.faces), at=at
    )


async def after_arrivals(
    state: AppState, *, meeting_id: int, kiosk: str, arrivals: list[Arrival], at: float
) -> None:
    """Learn from the new check-ins a kiosk frame made by QR code (never from face ones)."""
    for arrival in arrivals:
        if arrival.new and arrival.method == AttendanceMethod.qr:
            await learn(
                state,
                meeting_id=meeting_id,
                person_id=arrival.person_id,
                confirmation=Confirmation.qr,
                at=at,
                kiosk=kiosk,
            )


async def after_tap(state: AppState, *, meeting_id: int, person_id: int, kiosk: str) -> None:
    """Learn from the face in front of the kiosk whose name was tapped in the grey zone."""
    await learn(
        state,
        meeting_id=meeting_id,
        person_id=person_id,
        confirmation=Confirmation.tap,
        at=time.monotonic(),
        kiosk=kiosk,
    )


def after_desk(
    background: BackgroundTasks,
    state: AppState,
    *,
    meeting_id: int,
    change: AttendanceChange,
    operator_id: int | None,
) -> None:
    """After a desk check-in is answered: learn from the face a kiosk of the meeting saw."""
    if change.changed and change.present:
        background.add_task(
            learn,
            state,
            meeting_id=meeting_id,
            person_id=change.entry.person_id,
            confirmation=Confirmation.desk,
            at=time.monotonic(),
            operator_id=operator_id,
        )


async def learn(
    state: AppState,
    *,
    meeting_id: int,
    person_id: int,
    confirmation: Confirmation,
    at: float,
    kiosk: str | None = None,
    operator_id: int | None = None,
) -> LearnResult | None:
    """Add the recently seen face to the confirmed person's templates if the rules allow."""
    try:
        return await _learn(state, meeting_id, person_id, confirmation, at, kiosk, operator_id)
    except Exception as error:  # never let learning undo or fail a check-in
        log.warning("learning for person %s failed: %s", person_id, type(error).__name__)
        return None


async def _learn(
    state: AppState,
    meeting_id: int,
    person_id: int,
    confirmation: Confirmation,
    at: float,
    kiosk: str | None,
    operator_id: int | None,
) -> LearnResult:
    if not may_teach(confirmation):
        return LearnResult(None, Refusal.face_only)
    refused = await run_in_threadpool(_refusal, state, meeting_id, person_id)
    if refused is not None:
        return LearnResult(None, refused)  # before any face work
    seen = faces.services(state).cache.recent.glimpse(meeting_id=meeting_id, at=at, kiosk=kiosk)
    if isinstance(seen, Refusal):
        return LearnResult(None, seen)
    sighting = await _measure(state, seen)
    if isinstance(sighting, Refusal):
        return LearnResult(None, sighting)
    return await run_in_threadpool(
        _store, state, meeting_id, person_id, sighting, confirmation, at, operator_id
    )


async def _measure(state: AppState, seen: Glimpse) -> Sighting | Refusal:
    """The remembered frame through the enrolment gate, in the face pool."""
    assert seen.frame is not None
    try:
        face = await faces.analyse_enrolment(state, seen.frame)
    except (NoFaceFoundError, MultipleFacesError, FaceTooSmallError, FaceTooBlurryError) as error:
        return next(refusal for kind, refusal in GATE_REFUSALS if isinstance(error, kind))
    return Sighting(face.embedding, face.box.size, face.sharpness, at=seen.at, kiosk=seen.kiosk)


def _refusal(state: AppState, meeting_id: int, person_id: int) -> Refusal | None:
    with faces.open_session(state) as session:
        return gallery.learning_refusal(session=session, meeting_id=meeting_id, person_id=person_id)


def _store(
    state: AppState,
    meeting_id: int,
    person_id: int,
    sighting: Sighting,
    confirmation: Confirmation,
    at: float,
    operator_id: int | None,
) -> LearnResult:
    services = faces.services(state)
    with faces.open_session(state) as session:
        return gallery.learn_template(
            session=session,
            cipher=services.cipher,
            meeting_id=meeting_id,
            person_id=person_id,
            sighting=sighting,
            confirmation=confirmation,
            at=at,
            operator_id=operator_id,
            cache=services.cache,
        )
