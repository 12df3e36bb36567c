"""Face enrolment, biometric data, attendance, single-frame and QR check-in."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, File, Path, Request, Response, UploadFile
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile as FormFile

from checkin import attendance, biometrics, gallery, retention
from checkin.engine import MAX_IMAGE_BYTES
from checkin.errors import EmptyImageError, ImageTooLargeError
from checkin.qr import qr_png
from meetings import access, scheduling
from meetings.errors import InvitationNotFoundError
from models import (
    AttendanceEntryPublic,
    AttendanceKind,
    DeviceKind,
    FaceConsentCreate,
    FaceConsentPublic,
    FaceEmbeddingPublic,
)
from web import faces, learning, ratelimit
from web.auth import (
    SESSION_COOKIE,
    bearer_token,
    person_for_session,
    require_device_for_meeting,
    token_hash,
)
from web.deps import (
    CurrentUser,
    ManagedMeetingDep,
    MeetingDep,
    SessionDep,
    StaffUser,
    StateDep,
    get_gettext,
)
from web.realtime.attendance import attendance_summary

router = APIRouter(tags=["check-in"])


# -- enrolment and biometric data -------------------------------------------------------------


class EnrolmentPublic(BaseModel):
    face: FaceEmbeddingPublic
    warning: str | None = None
    similar_person_id: int | None = None


class PurgePublic(BaseModel):
    deleted: int


class ConsentRecordPublic(BaseModel):
    recorded_at: datetime
    recorded_by: str | None
    note: str
    withdrawn_at: datetime | None


class BiometricsPublic(BaseModel):
    person_id: int
    full_name: str
    stored: str
    consent_active: bool
    consents: list[ConsentRecordPublic]
    faces: list[FaceEmbeddingPublic]
    since: datetime | None
    photos_kept: int
    retention_days: int
    purge_after: datetime | None


class OptOutPublic(BaseModel):
    person_id: int
    faces_deleted: int
    consent_active: bool = False


def face_public(row: Any) -> FaceEmbeddingPublic:
    return FaceEmbeddingPublic.model_validate(row, update={"photo_kept": bool(row.photo_path)})


@router.post("/people/{person_id}/consent", status_code=201)
def record_consent(
    person_id: int, data: FaceConsentCreate, session: SessionDep, staff: StaffUser
) -> FaceConsentPublic:
    """Record the person's consent to face check-in (by the caller, now)."""
    consent = gallery.record_consent(
        session=session, person_id=person_id, recorded_by=staff.id, note=data.note
    )
    return FaceConsentPublic.model_validate(consent)


@router.post("/people/{person_id}/faces", status_code=201)
async def enrol_face(
    person_id: int, photo: Annotated[UploadFile, File()], state: StateDep, staff: StaffUser
) -> EnrolmentPublic:
    """Enrol a photo with exactly one usable face; 422 says what is wrong with it."""
    data = await _read_upload(photo)
    result = await faces.enrol_photo(
        state, person_id=person_id, data=data, by=staff.id, source=photo.filename or "upload"
    )
    return EnrolmentPublic(
        face=face_public(result.face),
        warning=result.warning,
        similar_person_id=result.similar_person_id,
    )


@router.get("/people/{person_id}/faces")
def list_faces(person_id: int, session: SessionDep, _staff: StaffUser) -> list[FaceEmbeddingPublic]:
    """The person's enrolled faces: metadata only."""
    gallery._get_person(session, person_id)
    return [face_public(row) for row in gallery.list_faces(session=session, person_id=person_id)]


@router.delete("/people/{person_id}/faces")
def purge_faces(
    person_id: int, session: SessionDep, state: StateDep, _staff: StaffUser
) -> PurgePublic:
    """Delete every enrolled face of the person."""
    gallery._get_person(session, person_id)
    cache = faces.services(state).cache
    result = gallery.purge_person(session=session, person_id=person_id, cache=cache)
    return PurgePublic(deleted=result.faces)


def _self_or_staff(person_id: int, person: CurrentUser) -> None:
    if person.id != person_id:
        access.require_staff(person)


@router.get("/people/{person_id}/biometrics")
def get_biometrics(
    person_id: int, session: SessionDep, state: StateDep, person: CurrentUser
) -> BiometricsPublic:
    """What is stored about the person's face, since when, who recorded the consent, and
    when it is purged; for the secretariat, or the person themself."""
    _self_or_staff(person_id, person)
    report = biometrics.biometric_report(
        session=session,
        person_id=person_id,
        retention_days=state.settings.face_retention_days,
    )
    return BiometricsPublic(
        person_id=report.person_id,
        full_name=report.full_name,
        stored=report.stored,
        consent_active=report.consent_active,
        consents=[
            ConsentRecordPublic.model_validate(c, from_attributes=True) for c in report.consents
        ],
        faces=[face_public(row) for row in report.faces],
        since=report.since,
        photos_kept=report.photos_kept,
        retention_days=report.retention_days,
        purge_after=report.purge_after,
    )


@router.post("/people/{person_id}/consent/withdraw")
def withdraw_consent(
    person_id: int, session: SessionDep, state: StateDep, person: CurrentUser
) -> OptOutPublic:
    """Opt out of face check-in (the person, or the secretariat on their behalf): consent
    withdrawn and every enrolled face deleted at once; QR and desk check-in still work."""
    _self_or_staff(person_id, person)
    cache = faces.services(state).cache
    result = retention.opt_out(session=session, person_id=person_id, cache=cache)
    return OptOutPublic(person_id=result.person_id, faces_deleted=result.faces_deleted)


# -- attendance -------------------------------------------------------------------------------


class AttendanceAction(BaseModel):
    person_id: int
    action: Literal["check_in", "check_out"]
    reason: str = Field(default="", max_length=500)


class AttendanceChangePublic(BaseModel):
    changed: bool
    present: bool
    # The row written, or the person's last one; none for someone never checked in.
    entry: AttendanceEntryPublic | None
    counts: dict[str, int]


@router.get("/meetings/{meeting_id}/attendance")
def attendance_report(
    request: Request, meeting: ManagedMeetingDep, session: SessionDep
) -> dict[str, Any]:
    """Totals and quorum, and every invitee with presence, arrival and method."""
    assert meeting.id is not None
    fraction = request.app.state.hop.settings.meeting_quorum_fraction
    rows = attendance.attendance_report(session=session, meeting_id=meeting.id)
    return {
        "summary": attendance_summary(session, meeting=meeting, fraction=fraction),
        "people": [vars(row) for row in rows],
    }


@router.post("/meetings/{meeting_id}/attendance")
def change_attendance(
    data: AttendanceAction,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    state: StateDep,
    background: BackgroundTasks,
) -> AttendanceChangePublic:
    """Check an invitee in or out by hand, with a reason."""
    change = attendance.record_manual(
        session=session,
        meeting=meeting,
        person_id=data.person_id,
        kind=AttendanceKind(data.action),
        operator_id=person.id,
        reason=data.reason,
    )
    assert meeting.id is not None
    learning.after_desk(
        background, state, meeting_id=meeting.id, change=change, operator_id=person.id
    )
    return AttendanceChangePublic(
        changed=change.changed,
        present=change.present,
        entry=AttendanceEntryPublic.model_validate(change.entry) if change.entry.id else None,
        counts=change.counts.as_dict(),
    )


# -- single-frame and QR check-in -------------------------------------------------------------


def get_kiosk_name(
    request: Request, session: SessionDep, meeting_id: Annotated[int, Path()]
) -> str:
    """A kiosk device token for this meeting, or the meeting's secretariat or chair."""
    person = person_for_session(session, request.cookies.get(SESSION_COOKIE))
    if person is not None:
        access.get_managed_meeting(session, meeting_id=meeting_id, viewer=person)
        return f"desk:{person.username}"
    device = require_device_for_meeting(
        session,
        bearer_token(request) or request.query_params.get("token"),
        meeting_id,
        kind=DeviceKind.kiosk,
        detail="A kiosk device token is required",
    )
    return device.name


KioskName = Annotated[str, Depends(get_kiosk_name)]


@router.post("/meetings/{meeting_id}/checkin/frame")
async def check_in_frame(
    meeting_id: int, request: Request, state: StateDep, kiosk: KioskName
) -> dict[str, Any]:
    """One image in (raw JPEG/PNG body, or a multipart `photo`): faces, names, check-ins out."""
    await ratelimit.check_kiosk_frame(
        state, device_key=_frame_key(request, kiosk), gettext=get_gettext(request)
    )
    data = await _read_body(request)
    return await faces.check_in_single_frame(state, meeting_id=meeting_id, data=data, kiosk=kiosk)


def _frame_key(request: Request, kiosk: str) -> str:
    # Per device token (names may repeat), the same key as the kiosk websocket's; desks by login.
    if kiosk.startswith("desk:"):
        return kiosk
    return token_hash(bearer_token(request) or request.query_params.get("token") or "")


@router.get("/meetings/{meeting_id}/invitations/{invitation_id}/qr.png", response_class=Response)
def invitation_qr(
    invitation_id: int,
    meeting: MeetingDep,
    session: SessionDep,
    state: StateDep,
    person: CurrentUser,
) -> Response:
    """The invitation's signed QR code (for the secretariat, or the invitee themself)."""
    invitation = scheduling.get_invitation(
        session=session, meeting=meeting, invitation_id=invitation_id
    )
    if invitation.person_id != person.id and not access.can_manage(
        session, meeting=meeting, viewer=person
    ):
        raise InvitationNotFoundError(f"Invitation {invitation_id} not found")
    assert meeting.id is not None
    text = faces.services(state).signer.sign(meeting_id=meeting.id, invitation_id=invitation_id)
    headers = {"cache-control": "private, no-store"}
    return Response(qr_png(text), media_type="image/png", headers=headers)


async def _read_upload(upload: UploadFile | FormFile) -> bytes:
    data = await upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageTooLargeError("The image is larger than 10 MB", field="photo")
    if not data:
        raise EmptyImageError("The image is empty", field="photo")
    return data


async def _read_body(request: Request) -> bytes:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form() as form:
            upload = form.get("photo") or form.get("file")
            if not isinstance(upload, FormFile):
                raise EmptyImageError("Send the image as a body or a `photo` file", field="photo")
            return await _read_upload(upload)
    data = await request.body()
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageTooLargeError("The image is larger than 10 MB", field="photo")
    return data
