"""Who is present at a meeting now, as derived from the attendance ledger (its latest row per
person). The ledger is written by checkin.attendance; presence is read by every domain that
asks it (the speaker queue, eligibility to vote, quorum)."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import AttendanceEntry, AttendanceKind


def last_entry(*, session: Session, meeting_id: int, person_id: int) -> AttendanceEntry | None:
    """The person's latest ledger row in the meeting."""
    query = (
        select(AttendanceEntry)
        .where(AttendanceEntry.meeting_id == meeting_id, AttendanceEntry.person_id == person_id)
        .order_by(col(AttendanceEntry.id).desc())
    )
    return session.exec(query).first()


def latest_entries(*, session: Session, meeting_id: int) -> dict[int, AttendanceEntry]:
    """Each person's latest ledger row, by person id."""
    rows = session.exec(
        select(AttendanceEntry).where(
            AttendanceEntry.meeting_id == meeting_id, _is_latest(meeting_id)
        )
    )
    return {row.person_id: row for row in rows}


def _is_latest(meeting_id: int) -> Any:
    """The row is its person's latest in the meeting: a correlated max(id), which both
    databases answer with one probe of (meeting_id, person_id, id) per row whatever their
    statistics say. Joined forms (IN (SELECT max(id) … GROUP BY), NOT EXISTS a later row) let
    PostgreSQL, without fresh statistics after a burst of check-ins, scan the meeting's whole
    ledger once per row."""
    later = aliased(AttendanceEntry)
    newest = (
        select(func.max(col(later.id)))
        .where(
            col(later.meeting_id) == meeting_id,
            col(later.person_id) == col(AttendanceEntry.person_id),
        )
        .scalar_subquery()
    )
    return col(AttendanceEntry.id) == newest


def present_person_ids(*, session: Session, meeting_id: int) -> set[int]:
    """Who is present now: people whose latest row is a check-in.

    Ids only, no ledger rows: progress asks this four times a second during a vote, and
    building a few thousand ORM rows each time held the GIL the event loop needs.
    """
    rows = session.exec(
        select(AttendanceEntry.person_id).where(
            AttendanceEntry.meeting_id == meeting_id,
            AttendanceEntry.kind == AttendanceKind.check_in,
            _is_latest(meeting_id),
        )
    )
    return set(rows)


def present_among(*, session: Session, meeting_id: int, person_ids: Iterable[int]) -> set[int]:
    """Which of these people are present now (one query, however many)."""
    ids = list(person_ids)
    if not ids:
        return set()
    rows = session.exec(
        select(AttendanceEntry.person_id).where(
            AttendanceEntry.meeting_id == meeting_id,
            col(AttendanceEntry.person_id).in_(ids),
            AttendanceEntry.kind == AttendanceKind.check_in,
            _is_latest(meeting_id),
        )
    )
    return set(rows)


def is_present(*, session: Session, meeting_id: int, person_id: int) -> bool:
    last = last_entry(session=session, meeting_id=meeting_id, person_id=person_id)
    return last is not None and last.kind == AttendanceKind.check_in
