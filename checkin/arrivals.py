"""The one check-in use case of a kiosk frame: record who it recognised and whose QR code it saw.

The HTTP frame endpoint and the kiosk socket both decide a frame their own way (one image on
its own, or a tracker over many) and then hand the outcome here, in a thread: each arrival
goes through the attendance ledger (which publishes attendance.changed after its commit)
with its method, its match distance and the kiosk's name.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from checkin import attendance
from checkin.errors import MeetingNotFoundError
from checkin.frames import MeetingFaces
from checkin.qr import QrSigner
from checkin.tracker import CheckIn
from models import AttendanceMethod, Meeting

# A face to check in: the tracker's CheckIn, or (person id, distance) from a single image.
Recognised = CheckIn | tuple[int, float]


@dataclass(frozen=True)
class Arrival:
    """A check-in a frame asked for; `new` is False when the person was already present."""

    person_id: int
    name: str
    seat: str
    method: str
    new: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "name": self.name,
            "seat": self.seat,
            "method": self.method,
            "new": self.new,
        }


def record_arrivals(
    *,
    session: Session,
    meeting_id: int,
    faces: MeetingFaces,
    recognised: Sequence[Recognised],
    codes: Sequence[str],
    signer: QrSigner,
    kiosk: str,
) -> list[Arrival]:
    """Check in the faces recognised (method face), then the invitees whose signed QR codes the
    frame shows (method qr); one Arrival each, in that order."""
    meeting = _meeting(session, meeting_id)
    arrivals = [_by_face(session, meeting, faces, item, kiosk) for item in recognised]
    for person_id in _qr_invitees(meeting_id, faces, codes, signer):
        arrivals.append(_by_qr(session, meeting, faces, person_id, kiosk))
    return arrivals


def _by_face(
    session: Session, meeting: Meeting, faces: MeetingFaces, item: Recognised, kiosk: str
) -> Arrival:
    person_id, distance = (item.person_id, item.distance) if isinstance(item, CheckIn) else item
    change = attendance.record_check_in(
        session=session,
        meeting=meeting,
        person_id=person_id,
        method=AttendanceMethod.face,
        distance=distance,
        kiosk=kiosk,
    )
    return _arrival(faces, person_id, AttendanceMethod.face, change.changed)


def _by_qr(
    session: Session, meeting: Meeting, faces: MeetingFaces, person_id: int, kiosk: str
) -> Arrival:
    change = attendance.record_check_in(
        session=session,
        meeting=meeting,
        person_id=person_id,
        method=AttendanceMethod.qr,
        kiosk=kiosk,
    )
    return _arrival(faces, person_id, AttendanceMethod.qr, change.changed)


def _qr_invitees(
    meeting_id: int, faces: MeetingFaces, codes: Sequence[str], signer: QrSigner
) -> list[int]:
    """The invitees whose codes are signed for this meeting; other codes are ignored."""
    by_invitation = {invitee.invitation_id: invitee for invitee in faces.invitees.values()}
    people = []
    for text in dict.fromkeys(codes):
        code = signer.verify(text)
        if code is None or code.meeting_id != meeting_id:
            continue
        invitee = by_invitation.get(code.invitation_id)
        if invitee is not None:  # None: the invitation was withdrawn
            people.append(invitee.person_id)
    return people


def _arrival(faces: MeetingFaces, person_id: int, method: AttendanceMethod, new: bool) -> Arrival:
    invitee = faces.invitees.get(person_id)
    name, seat = (invitee.name, invitee.seat) if invitee else (f"#{person_id}", "")
    return Arrival(person_id, name, seat, str(method), new)


def _meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingNotFoundError(f"Meeting {meeting_id} not found")
    return meeting
