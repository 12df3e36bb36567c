"""Enrolment on a kiosk, started by the desk: the kiosk switches from check-in to the guided
capture for one invitee, then back.

The request and its outcome are events of the meeting's log (for the secretariat and chair
only): the kiosk's socket hears the start through the hub in whichever process it runs, the
desk sees the outcome live, and whether a kiosk may store a face for someone is read from the
log - never from memory. A request lapses after EXPIRES_AFTER or when another one starts.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select

from checkin.errors import NotInvitedError
from checkin.gallery import _get_person, require_consent
from core.errors import ConflictError, NotFoundError
from meetings import access, lifecycle
from models import DeviceKind, DeviceToken, Meeting
from models.base import as_utc, utcnow
from models.event import Audience, Event
from models.events import record_event

STARTED = "kiosk.enrolment"
ENDED = "kiosk.enrolment_ended"
EXPIRES_AFTER = timedelta(minutes=10)
OUTCOMES = ("done", "gave_up", "cancelled")


class KioskNotFoundError(NotFoundError):
    pass


class NoKioskEnrolmentError(ConflictError):
    """The kiosk was not asked to enrol this person (or the request lapsed)."""


@dataclass(frozen=True)
class KioskEnrolment:
    """A desk's request that a kiosk enrol one invitee."""

    person_id: int
    full_name: str
    device_id: int
    started_by: int | None
    started_at: datetime

    def as_data(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "full_name": self.full_name,
            "device_id": self.device_id,
            "started_by": self.started_by,
            "started_at": self.started_at.isoformat(),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "KioskEnrolment":
        return cls(
            person_id=int(data["person_id"]),
            full_name=str(data["full_name"]),
            device_id=int(data["device_id"]),
            started_by=data.get("started_by"),
            started_at=as_utc(datetime.fromisoformat(str(data["started_at"]))),
        )


def meeting_kiosks(*, session: Session, meeting_id: int) -> list[DeviceToken]:
    """The kiosks that may serve the meeting (its own and the hall's), not revoked."""
    query = (
        select(DeviceToken)
        .where(
            DeviceToken.kind == DeviceKind.kiosk,
            col(DeviceToken.revoked_at).is_(None),
            or_(col(DeviceToken.meeting_id) == meeting_id, col(DeviceToken.meeting_id).is_(None)),
        )
        .order_by(col(DeviceToken.id))
    )
    return list(session.exec(query))


def start_kiosk_enrolment(
    *, session: Session, meeting: Meeting, person_id: int, device_id: int, started_by: int | None
) -> KioskEnrolment:
    """Ask a kiosk of the meeting to enrol an invitee who consented (while check-in is open)."""
    assert meeting.id is not None
    lifecycle.require(session, meeting, lifecycle.Action.check_in)
    person = _get_person(session, person_id)
    if access.find_invitation(session, meeting_id=meeting.id, person_id=person_id) is None:
        raise NotInvitedError("Only people invited to the meeting can be enrolled on its kiosk")
    require_consent(session=session, person_id=person_id)
    if device_id not in {d.id for d in meeting_kiosks(session=session, meeting_id=meeting.id)}:
        raise KioskNotFoundError(f"Kiosk {device_id} not found")
    request = KioskEnrolment(person_id, person.full_name, device_id, started_by, utcnow())
    record_event(
        session,
        meeting_id=meeting.id,
        type=STARTED,
        data=request.as_data(),
        audience=Audience.managers,
    )
    session.commit()
    return request


def active_kiosk_enrolment(
    *, session: Session, meeting_id: int, device_id: int, now: datetime | None = None
) -> KioskEnrolment | None:
    """The kiosk's request that has neither ended nor lapsed (the meeting's latest one)."""
    latest = _latest(session, meeting_id)
    if latest is None or latest.type != STARTED:
        return None
    request = KioskEnrolment.from_data(latest.data)
    if request.device_id != device_id or request.started_at + EXPIRES_AFTER < (now or utcnow()):
        return None
    return request


def require_kiosk_enrolment(
    *, session: Session, meeting_id: int, device_id: int, person_id: int
) -> KioskEnrolment:
    """The active request for this kiosk and person, or NoKioskEnrolmentError."""
    request = active_kiosk_enrolment(session=session, meeting_id=meeting_id, device_id=device_id)
    if request is None or request.person_id != person_id:
        raise NoKioskEnrolmentError("This kiosk was not asked to enrol this person")
    return request


def end_kiosk_enrolment(
    *,
    session: Session,
    meeting_id: int,
    request: KioskEnrolment,
    outcome: str,
    kept: int,
    templates: int,
    ready: bool,
) -> None:
    """Record how the kiosk's enrolment ended, for the desk; the kiosk returns to check-in."""
    assert outcome in OUTCOMES
    data = {
        "person_id": request.person_id,
        "full_name": request.full_name,
        "device_id": request.device_id,
        "outcome": outcome,
        "kept": kept,
        "templates": templates,
        "ready": ready,
    }
    record_event(session, meeting_id=meeting_id, type=ENDED, data=data, audience=Audience.managers)
    session.commit()


def cancel_kiosk_enrolment(*, session: Session, meeting_id: int) -> KioskEnrolment | None:
    """Stop the meeting's kiosk enrolment in progress (its kiosk returns to check-in)."""
    latest = _latest(session, meeting_id)
    if latest is None or latest.type != STARTED:
        return None
    request = KioskEnrolment.from_data(latest.data)
    end_kiosk_enrolment(
        session=session,
        meeting_id=meeting_id,
        request=request,
        outcome="cancelled",
        kept=0,
        templates=0,
        ready=False,
    )
    return request


def last_kiosk_enrolment(
    *, session: Session, meeting_id: int, now: datetime | None = None
) -> dict[str, Any] | None:
    """The meeting's latest kiosk enrolment, for the desk: in progress (`active`), lapsed, or
    how it ended (`outcome`, `kept`, `ready`)."""
    latest = _latest(session, meeting_id)
    if latest is None:
        return None
    if latest.type == ENDED:
        return {**latest.data, "active": False}
    request = KioskEnrolment.from_data(latest.data)
    active = request.started_at + EXPIRES_AFTER >= (now or utcnow())
    return {**latest.data, "active": active, "outcome": None if active else "lapsed"}


def _latest(session: Session, meeting_id: int) -> Event | None:
    """The meeting's latest kiosk enrolment event: one at a time per meeting."""
    query = (
        select(Event)
        .where(Event.meeting_id == meeting_id, col(Event.type).in_((STARTED, ENDED)))
        .order_by(col(Event.seq).desc())
        .limit(1)
    )
    return session.exec(query).first()
