"""The attendance ledger: check-ins and check-outs appended, presence and reports derived.

Every change appends one row and records an `attendance.changed` event in the same
transaction (published after the commit). Checking in someone already present, or out
someone absent, changes nothing and records nothing.
"""

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from checkin.errors import MeetingNotOpenError, NotInvitedError, PersonNotFoundError
from core.audit import audit
from meetings import lifecycle
from meetings.presence import last_entry, latest_entries, present_person_ids
from models import (
    AttendanceEntry,
    AttendanceKind,
    AttendanceMethod,
    Invitation,
    Meeting,
    Person,
)
from models.base import as_utc, utcnow
from models.events import record_event


@dataclass(frozen=True)
class AttendanceCounts:
    present: int
    invited: int
    voting_present: int
    voting_invited: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class AttendanceChange:
    """The row written (or, when nothing changed, the person's last row) and the new counts."""

    entry: AttendanceEntry
    changed: bool
    counts: AttendanceCounts

    @property
    def present(self) -> bool:
        return self.entry.kind == AttendanceKind.check_in


@dataclass(frozen=True)
class AttendanceRow:
    """One invitee in the attendance report."""

    person_id: int
    full_name: str
    role: str
    voting_right: bool
    seat_label: str
    present: bool
    arrived_at: datetime | None
    left_at: datetime | None
    method: AttendanceMethod | None


def record_check_in(
    *,
    session: Session,
    meeting: Meeting,
    person_id: int,
    method: AttendanceMethod,
    distance: float | None = None,
    kiosk: str | None = None,
    operator_id: int | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> AttendanceChange:
    """Check an invitee in (face, manual or QR); a no-op when they are already present."""
    entry = _entry(
        meeting, person_id, AttendanceKind.check_in, method, kiosk, operator_id, reason, at
    )
    entry.distance = None if distance is None else round(float(distance), 4)
    return _record(session, meeting, entry)


def record_check_out(
    *,
    session: Session,
    meeting: Meeting,
    person_id: int,
    method: AttendanceMethod = AttendanceMethod.manual,
    kiosk: str | None = None,
    operator_id: int | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> AttendanceChange:
    """Check a present invitee out; a no-op when they are not present."""
    entry = _entry(
        meeting, person_id, AttendanceKind.check_out, method, kiosk, operator_id, reason, at
    )
    return _record(session, meeting, entry)


def record_manual(
    *,
    session: Session,
    meeting: Meeting,
    person_id: int,
    kind: AttendanceKind,
    operator_id: int | None,
    reason: str = "",
) -> AttendanceChange:
    """Check an invitee in or out by hand (the desk), audited with the operator and reason."""
    record = record_check_in if kind == AttendanceKind.check_in else record_check_out
    return record(
        session=session,
        meeting=meeting,
        person_id=person_id,
        method=AttendanceMethod.manual,
        operator_id=operator_id,
        reason=reason,
    )


def _entry(
    meeting: Meeting,
    person_id: int,
    kind: AttendanceKind,
    method: AttendanceMethod,
    kiosk: str | None,
    operator_id: int | None,
    reason: str,
    at: datetime | None,
) -> AttendanceEntry:
    return AttendanceEntry(
        meeting_id=_id(meeting),
        person_id=person_id,
        kind=kind,
        method=method,
        kiosk=kiosk,
        operator_id=operator_id,
        reason=reason.strip()[:500],
        at=at or utcnow(),
    )


def _record(session: Session, meeting: Meeting, entry: AttendanceEntry) -> AttendanceChange:
    lifecycle.require(session, meeting, lifecycle.Action.check_in, error=MeetingNotOpenError)
    _lock_invitation(session, meeting, entry.person_id)
    last = last_entry(session=session, meeting_id=entry.meeting_id, person_id=entry.person_id)
    was_present = last is not None and last.kind == AttendanceKind.check_in
    if was_present == (entry.kind == AttendanceKind.check_in):
        counts = attendance_counts(session=session, meeting_id=entry.meeting_id)
        session.commit()  # ends the transaction and releases the row lock
        return AttendanceChange(last or entry, False, counts)
    session.add(entry)
    session.flush()
    counts = attendance_counts(session=session, meeting_id=entry.meeting_id)
    record_event(
        session,
        meeting_id=entry.meeting_id,
        type="attendance.changed",
        data=_event_data(entry, counts),
    )
    if entry.method == AttendanceMethod.manual:
        _audit_manual(session, entry)
    session.commit()
    return AttendanceChange(entry, True, counts)


def _audit_manual(session: Session, entry: AttendanceEntry) -> None:
    # The operator is usually the request's person already in the session: no extra query.
    operator = session.get(Person, entry.operator_id) if entry.operator_id else None
    audit(
        session,
        action="attendance.manual",
        actor=operator,
        target_type="person",
        target_id=entry.person_id,
        meeting_id=entry.meeting_id,
        detail={"kind": str(entry.kind), "reason": entry.reason},
    )


def _lock_invitation(session: Session, meeting: Meeting, person_id: int) -> Invitation:
    """The invitation, row-locked on PostgreSQL so one person's changes queue up."""
    query = (
        select(Invitation)
        .where(Invitation.meeting_id == meeting.id, Invitation.person_id == person_id)
        .with_for_update()
    )
    invitation = session.exec(query).first()
    if invitation is None:
        if session.get(Person, person_id) is None:
            raise PersonNotFoundError(f"Person {person_id} not found")
        raise NotInvitedError("Only people invited to the meeting can be checked in")
    return invitation


def _event_data(entry: AttendanceEntry, counts: AttendanceCounts) -> dict[str, object]:
    return {
        "person_id": entry.person_id,
        "present": entry.kind == AttendanceKind.check_in,
        "kind": str(entry.kind),
        "method": str(entry.method),
        "kiosk": entry.kiosk,
        "at": as_utc(entry.at).isoformat(),
        "counts": counts.as_dict(),
    }


def arrival_times(*, session: Session, meeting_id: int) -> dict[int, datetime]:
    """Each person's first check-in time."""
    query = (
        select(AttendanceEntry.person_id, func.min(AttendanceEntry.at))
        .where(
            AttendanceEntry.meeting_id == meeting_id,
            AttendanceEntry.kind == AttendanceKind.check_in,
        )
        .group_by(col(AttendanceEntry.person_id))
    )
    return {pid: as_utc(at) for pid, at in session.exec(query)}


def attendance_counts(*, session: Session, meeting_id: int) -> AttendanceCounts:
    """Present / invited, and the same for people with a voting right."""
    present = present_person_ids(session=session, meeting_id=meeting_id)
    invitations = session.exec(
        select(Invitation.person_id, Invitation.voting_right).where(
            Invitation.meeting_id == meeting_id
        )
    ).all()
    voters = {pid for pid, voting in invitations if voting}
    invited = {pid for pid, _ in invitations}
    return AttendanceCounts(
        present=len(present & invited),
        invited=len(invited),
        voting_present=len(present & voters),
        voting_invited=len(voters),
    )


def attendance_report(*, session: Session, meeting_id: int) -> list[AttendanceRow]:
    """Every invitee with presence, first arrival and departure, sorted by name."""
    latest = latest_entries(session=session, meeting_id=meeting_id)
    arrivals = arrival_times(session=session, meeting_id=meeting_id)
    query = (
        select(Invitation, Person)
        .join(Person, col(Person.id) == col(Invitation.person_id))
        .where(Invitation.meeting_id == meeting_id)
        .order_by(col(Person.full_name), col(Person.id))
    )
    return [
        _row(invitation, person, latest, arrivals) for invitation, person in session.exec(query)
    ]


def _row(
    invitation: Invitation,
    person: Person,
    latest: dict[int, AttendanceEntry],
    arrivals: dict[int, datetime],
) -> AttendanceRow:
    last = latest.get(invitation.person_id)
    present = last is not None and last.kind == AttendanceKind.check_in
    left = as_utc(last.at) if last is not None and not present else None
    return AttendanceRow(
        person_id=invitation.person_id,
        full_name=person.full_name,
        role=str(invitation.role),
        voting_right=invitation.voting_right,
        seat_label=invitation.seat_label,
        present=present,
        arrived_at=arrivals.get(invitation.person_id),
        left_at=left,
        method=AttendanceMethod(last.method) if present and last is not None else None,
    )


def list_entries(
    *, session: Session, meeting_id: int, person_id: int | None = None
) -> list[AttendanceEntry]:
    """The ledger of the meeting (or of one person in it), oldest first."""
    query = select(AttendanceEntry).where(AttendanceEntry.meeting_id == meeting_id)
    if person_id is not None:
        query = query.where(AttendanceEntry.person_id == person_id)
    return list(session.exec(query.order_by(col(AttendanceEntry.id))))


def _id(meeting: Meeting) -> int:
    assert meeting.id is not None
    return meeting.id
