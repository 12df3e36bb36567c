"""The guided capture's one step, shared by the API (web.api.face_capture: a browser's camera)
and the kiosk's enrolment mode (web.realtime.kiosk_enrolment): consent first, the frame
through checkin.quality's rules in the face pool, an accepted frame stored as a template
through the same gallery path as an uploaded photo."""

from collections.abc import Callable

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from checkin import readiness
from checkin.engine import EnrolmentFace, analyse_enrolment_photo
from checkin.errors import FaceQualityError
from checkin.quality import Pose, Step, reason_of
from checkin.readiness import Readiness
from web import faces, metrics
from web.state import AppState

Say = Callable[[str], str]  # an English detail in the reader's language


class CapturePublic(BaseModel):
    """One captured frame's verdict; the person's template count after it."""

    step: Step
    accepted: bool
    reason: str | None = None  # checkin.quality's code: no_face, too_dark, turn_left...
    message: str | None = None  # what is wrong, in the reader's language
    pose: dict[str, float] | None = None
    face_id: int | None = None
    face_px: int | None = None
    sharpness: float | None = None
    brightness: float | None = None
    warning: str | None = None
    templates: int
    ready: bool


def _readiness(state: AppState, person_id: int) -> Readiness:
    with faces.open_session(state) as session:
        return readiness.person_readiness(session=session, person_id=person_id)


async def capture_frame(
    state: AppState,
    *,
    person_id: int,
    step: Step,
    data: bytes,
    by: int | None,
    say: Say = str,
    source: str = "camera",
) -> CapturePublic:
    """Consent (409 before any face work), the frame's checks for the step, then the template
    (its source SOURCE:STEP, e.g. camera:left or kiosk:left)."""
    await run_in_threadpool(faces.require_consent, state, person_id)
    await faces.check_image(data)
    try:
        face: EnrolmentFace = await metrics.face_job(
            "capture", faces.services(state).pool.run(analyse_enrolment_photo, data, step)
        )
    except FaceQualityError as error:
        ready = await run_in_threadpool(_readiness, state, person_id)
        pose: Pose | None = getattr(error, "pose", None)
        return CapturePublic(
            step=step,
            accepted=False,
            reason=reason_of(error),
            message=say(error.detail),
            pose=pose.as_dict() if pose else None,
            templates=ready.templates,
            ready=ready.ready,
        )
    result = await run_in_threadpool(
        faces.enrol_face, state, person_id, face, by, f"{source}:{step.value}", data
    )
    ready = await run_in_threadpool(_readiness, state, person_id)
    return CapturePublic(
        step=step,
        accepted=True,
        pose=face.pose.as_dict() if face.pose else None,
        face_id=result.face.id,
        face_px=face.box.size,
        sharpness=round(face.sharpness, 1),
        brightness=round(face.brightness, 1),
        warning=result.warning,
        templates=ready.templates,
        ready=ready.ready,
    )
