"""Face enrolment for one person (secretariat): consent, photos or a camera snapshot, purge."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from checkin import biometrics, errors, gallery, quality, readiness, retention
from checkin.engine import MAX_IMAGE_BYTES
from core.errors import HopError
from web import faces
from web.deps import SessionDep, StaffUser, StateDep
from web.pages.render import N_, render

router = APIRouter()

# What the secretariat reads when a photo is refused, by the domain error's class.
PHOTO_PROBLEMS = {
    errors.NoFaceFoundError: N_("No face was found in the photo."),
    errors.MultipleFacesError: N_(
        "The photo shows several faces; it must show exactly one person."
    ),
    errors.FaceTooSmallError: N_("The face is too small: come closer or use a larger photo."),
    errors.FaceTooBlurryError: N_("The photo is too blurry: hold still and try again."),
    quality.FaceTooDarkError: N_("The face is too dark: take the photo in better light."),
    quality.FaceTooBrightError: N_("The face is washed out: avoid a flash or a window behind."),
    quality.HeadPoseError: N_("The head is turned or tilted too far: look at the camera."),
    errors.ConsentRequiredError: N_("Record the person's consent before enrolling a face."),
    errors.ImageTooLargeError: N_("The image is too large."),
    errors.ImageError: N_("The file is not a usable photo: JPEG, PNG, WebP and HEIC are accepted."),
    errors.NotAnImageError: N_(
        "The file is not a usable photo: JPEG, PNG, WebP and HEIC are accepted."
    ),
    errors.ServiceBusyError: N_("The face engine is busy; try again in a moment."),
}
ENROLLED = N_("The face was enrolled.")
CONSENT_RECORDED = N_("The consent was recorded.")
PURGED = N_("The person's face data was deleted.")
OPTED_OUT = N_("The consent was withdrawn and the face data deleted.")


def _page(
    request: Request, session: Session, person_id: int, *, status: int = 200, **extra: Any
) -> HTMLResponse:
    report = biometrics.biometric_report(session=session, person_id=person_id)
    ready = readiness.person_readiness(session=session, person_id=person_id)
    context = {
        "report": report,
        "readiness": ready,
        "capture_for": person_id,
        "notice": None,
        "problem": None,
        "warning": None,
        **extra,
    }
    return render(request, "pages/enrol.html", context, status=status)


def problem_of(error: HopError) -> str:
    for kind, message in PHOTO_PROBLEMS.items():
        if isinstance(error, kind):
            return message
    return error.detail


@router.get("/people/{person_id}/faces", response_class=HTMLResponse)
def enrol_page(
    request: Request,
    person_id: int,
    session: SessionDep,
    _staff: StaffUser,
    captured: Annotated[int, Query(ge=0, le=10)] = 0,
) -> HTMLResponse:
    """The page; `captured`: how many pictures the guided capture just kept (enrol.js)."""
    return _page(request, session, person_id, captured=captured)


@router.post("/people/{person_id}/faces/consent", response_class=HTMLResponse)
def record_consent(
    request: Request,
    person_id: int,
    session: SessionDep,
    staff: StaffUser,
    note: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    gallery.record_consent(session=session, person_id=person_id, recorded_by=staff.id, note=note)
    return _page(request, session, person_id, notice=CONSENT_RECORDED)


@router.post("/people/{person_id}/faces", response_class=HTMLResponse)
async def upload_photo(
    request: Request,
    person_id: int,
    photo: Annotated[UploadFile, File()],
    session: SessionDep,
    state: StateDep,
    staff: StaffUser,
) -> HTMLResponse:
    data = await photo.read(MAX_IMAGE_BYTES + 1)
    source = photo.filename or "upload"
    try:
        result = await faces.enrol_photo(
            state, person_id=person_id, data=data, by=staff.id, source=source
        )
    except HopError as error:
        problem, status = problem_of(error), error.status_code
        return await run_in_threadpool(
            _page, request, session, person_id, problem=problem, status=status
        )
    return await run_in_threadpool(
        _page, request, session, person_id, notice=ENROLLED, warning=result.warning
    )


@router.post("/people/{person_id}/faces/purge", response_class=HTMLResponse)
def purge(
    request: Request, person_id: int, session: SessionDep, state: StateDep, _staff: StaffUser
) -> HTMLResponse:
    gallery.purge_person(session=session, person_id=person_id, cache=faces.services(state).cache)
    return _page(request, session, person_id, notice=PURGED)


@router.post("/people/{person_id}/faces/withdraw", response_class=HTMLResponse)
def withdraw(
    request: Request, person_id: int, session: SessionDep, state: StateDep, _staff: StaffUser
) -> HTMLResponse:
    """The opt-out, recorded by the secretariat on the person's behalf."""
    retention.opt_out(session=session, person_id=person_id, cache=faces.services(state).cache)
    return _page(request, session, person_id, notice=OPTED_OUT)
