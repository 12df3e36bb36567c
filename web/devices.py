"""Kiosks and projectors: the list the secretariat manages, revocation, and the address that
opens a device's screen with its token."""

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlmodel import Session, col, select

from core.errors import NotFoundError
from meetings import lifecycle
from models import DeviceKind, DeviceToken, Meeting
from models.base import utcnow


@dataclass(frozen=True)
class DeviceRow:
    """A device with the title of its meeting (None for a hall device)."""

    device: DeviceToken
    meeting_title: str | None


def list_devices(*, session: Session) -> list[DeviceToken]:
    """Every device token, newest first."""
    return list(session.exec(select(DeviceToken).order_by(col(DeviceToken.id).desc())))


def device_rows(*, session: Session) -> list[DeviceRow]:
    """Every device, newest first, with its meeting's title (two queries)."""
    devices = list_devices(session=session)
    ids = {device.meeting_id for device in devices if device.meeting_id is not None}
    titles = {
        meeting.id: meeting.title
        for meeting in session.exec(select(Meeting).where(col(Meeting.id).in_(ids)))
    }
    return [DeviceRow(device, titles.get(device.meeting_id)) for device in devices]


def open_meetings(*, session: Session) -> list[Meeting]:
    """The meetings a device may be made for or opened on, soonest first: not those that are
    over, which take no check-in and show nothing new."""
    query = select(Meeting).where(col(Meeting.status).not_in(lifecycle.OVER))
    return list(session.exec(query.order_by(col(Meeting.start_at))))


def revoke_device(*, session: Session, device_id: int) -> DeviceToken:
    """Revoke a device token at once (its sockets close within seconds); idempotent."""
    device = session.get(DeviceToken, device_id)
    if device is None:
        raise DeviceNotFoundError(f"Device {device_id} not found")
    device.revoked_at = device.revoked_at or utcnow()
    session.add(device)
    session.commit()
    return device


class DeviceNotFoundError(NotFoundError):
    """No device with this id."""


def screen_path(kind: DeviceKind, meeting_id: int, token: str) -> str:
    """The page a device opens for a meeting, carrying its token."""
    page = "kiosk" if kind == DeviceKind.kiosk else "projector"
    return f"/{page}/{meeting_id}?{urlencode({'token': token})}"
