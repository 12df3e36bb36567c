"""The face resources the lifespan owns, and the async steps shared by the API, pages and kiosk.

Face work goes to the process pool (awaited, never on the event loop); database work runs in
a thread. An image's header is checked before it takes a pool slot, so an empty file or a
claimed 30000x30000 image is refused at once.
"""

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from checkin import engine, frames, gallery
from checkin.arrivals import record_arrivals
from checkin.crypto import FaceCipher
from checkin.engine import FrameOptions
from checkin.errors import EmptyImageError, FacePoolClosedError
from checkin.gallery import EnrolmentResult, GalleryCache
from checkin.pool import FacePool
from checkin.qr import KioskFrame, QrSigner, analyse_kiosk_frame
from models.db import open_session as open_db_session
from web import metrics
from web.settings import Settings
from web.state import AppState, FaceServices


def build_face_services(settings: Settings, pool: FacePool | None = None) -> FaceServices:
    """The pool (workers start on first use), the embedding cipher and the QR signer."""
    cipher = FaceCipher.from_secret(settings.resolved_secret_key)
    owned = pool is None
    if pool is None:
        pool = FacePool(
            workers=settings.face_workers or None, max_pending=settings.face_max_pending or None
        )
    return FaceServices(
        pool=pool,
        cipher=cipher,
        cache=GalleryCache(cipher),
        signer=QrSigner(settings.resolved_secret_key),
        owns_pool=owned,
    )


def services(state: AppState) -> FaceServices:
    if state.faces is None:
        raise FacePoolClosedError("The face engine is not running")
    return state.faces


def open_session(state: AppState) -> AbstractContextManager[Session]:
    """A session whose committed events reach the hub (for use in a thread)."""
    return open_db_session(state.engine, publish=state.hub.publish_threadsafe)


def check_image_now(data: bytes) -> None:
    """Refuse an empty, unknown, cut-short or oversized image before it takes a pool slot."""
    if not data:
        raise EmptyImageError("The image is empty", field="photo")
    engine.check_limits(data)


async def check_image(data: bytes) -> None:
    """check_image_now in a thread: a crafted header can take a second or two to parse."""
    await run_in_threadpool(check_image_now, data)


async def analyse_enrolment(state: AppState, data: bytes) -> engine.EnrolmentFace:
    await check_image(data)
    job = services(state).pool.run(engine.analyse_enrolment_photo, data)
    return await metrics.face_job("enrolment", job)


async def analyse_frame(
    state: AppState, data: bytes, options: FrameOptions, *, kiosk: str | None = None
) -> KioskFrame:
    """A kiosk frame's faces and codes; the pool takes the kiosks' frames in turn (fairly)."""
    await check_image(data)
    job = services(state).pool.run(analyse_kiosk_frame, data, options, key=kiosk)
    return await metrics.face_job("frame", job)


def enrol_face(
    state: AppState,
    person_id: int,
    face: engine.EnrolmentFace,
    by: int | None,
    source: str,
    data: bytes,
) -> EnrolmentResult:
    """Store an analysed face (blocking: call it in a thread), keeping the photo when the
    server is set to; the kept photo goes again if the row is not stored."""
    faces = services(state)
    settings = state.settings
    kept = None
    if settings.keep_face_photos:  # opted in: the picture only, never its EXIF/GPS
        kept = gallery.keep_photo(
            photo_dir=settings.data_dir / "faces", person_id=person_id, data=data
        )
    try:
        with open_session(state) as session:
            return gallery.enrol_face(
                session=session,
                cipher=faces.cipher,
                person_id=person_id,
                face=face,
                source=source,
                created_by=by,
                photo_path=kept,
                cache=faces.cache,
            )
    except BaseException:
        if kept is not None:
            Path(kept).unlink(missing_ok=True)
        raise


def require_consent(state: AppState, person_id: int) -> None:
    """PersonNotFoundError or ConsentRequiredError before any face work (blocking)."""
    with open_session(state) as session:
        gallery._get_person(session, person_id)
        gallery.require_consent(session=session, person_id=person_id)


async def enrol_photo(
    state: AppState, *, person_id: int, data: bytes, by: int | None, source: str
) -> EnrolmentResult:
    """Consent first (409 before any face work), then the photo's face, then the stored row."""
    await run_in_threadpool(require_consent, state, person_id)
    face = await analyse_enrolment(state, data)
    return await run_in_threadpool(enrol_face, state, person_id, face, by, source, data)


def _single_frame(
    state: AppState, meeting_id: int, frame: KioskFrame, kiosk: str
) -> dict[str, Any]:
    faces_services = services(state)
    with open_session(state) as session:
        faces = frames.load_meeting_faces(
            session=session, meeting_id=meeting_id, cache=faces_services.cache
        )
        decided = frames.decide_single_frame(faces, frame.analysis)
        arrivals = record_arrivals(
            session=session,
            meeting_id=meeting_id,
            faces=faces,
            recognised=decided.accepted,
            codes=frame.codes,
            signer=faces_services.signer,
            kiosk=kiosk,
        )
    return {
        "width": frame.analysis.width,
        "height": frame.analysis.height,
        "faces": decided.faces,
        "checked_in": [arrival.as_dict() for arrival in arrivals],
        "liveness_required": decided.liveness_required,
    }


async def check_in_single_frame(
    state: AppState, *, meeting_id: int, data: bytes, kiosk: str
) -> dict[str, Any]:
    """One image: its faces decided on their own (no tracker), QR codes, and the check-ins."""
    options = FrameOptions(detect=engine.PHOTO_DETECTION)
    frame = await analyse_frame(state, data, options, kiosk=kiosk)
    return await run_in_threadpool(_single_frame, state, meeting_id, frame, kiosk)
