"""Meeting reports: attendance (arrival, method, departures, absences) and every poll's result,
as CSV for spreadsheets and PDF for the minutes."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlmodel import Session, col, select

from core import pdf
from core.pdf import Row, Translate, as_is
from models import (
    AttendanceEntry,
    AttendanceKind,
    Invitation,
    Meeting,
    Person,
    Poll,
    PollStatus,
    Reply,
)
from models.base import as_utc
from voting import export

# Reports are read in Vietnam, which keeps UTC+7 all year (as the pages show times).
VIETNAM = timezone(timedelta(hours=7), "ICT")
ATTENDANCE_HEADER = (
    "Name",
    "Username",
    "Role",
    "Voting right",
    "Seat",
    "Reply",
    "Status",
    "First arrival (UTC+7)",
    "Method",
    "Departures (UTC+7)",
    "Absence reason",
)


@dataclass(frozen=True)
class Departure:
    at: datetime
    reason: str = ""


@dataclass
class AttendanceLine:
    """One invitee: how they replied, when and how they first arrived, when they left."""

    full_name: str
    username: str
    role: str
    voting_right: bool
    seat_label: str
    reply: str
    reply_reason: str
    arrived_at: datetime | None = None
    method: str = ""
    present: bool = False
    departures: list[Departure] = field(default_factory=list)

    @property
    def status(self) -> str:
        """present now, left (arrived, then checked out) or absent (never arrived)."""
        if self.present:
            return "present"
        return "left" if self.arrived_at is not None else "absent"

    @property
    def absence_reason(self) -> str:
        if self.arrived_at is not None:
            return ""
        return self.reply_reason or ("Declined" if self.reply == Reply.declined else "")


def attendance_lines(*, session: Session, meeting: Meeting) -> list[AttendanceLine]:
    """Every invitee of the meeting, by name, with what the ledger says of them."""
    query = (
        select(Invitation, Person)
        .join(Person, col(Person.id) == col(Invitation.person_id))
        .where(Invitation.meeting_id == meeting.id)
        .order_by(col(Person.full_name), col(Person.id))
    )
    ledger = _ledger_by_person(session, meeting)
    return [
        _line(invitation, person, ledger.get(invitation.person_id, []))
        for invitation, person in session.exec(query)
    ]


def _ledger_by_person(session: Session, meeting: Meeting) -> dict[int, list[AttendanceEntry]]:
    query = select(AttendanceEntry).where(AttendanceEntry.meeting_id == meeting.id)
    entries: dict[int, list[AttendanceEntry]] = defaultdict(list)
    for entry in session.exec(query.order_by(col(AttendanceEntry.id))):
        entries[entry.person_id].append(entry)
    return entries


def _line(invitation: Invitation, person: Person, entries: list[AttendanceEntry]) -> AttendanceLine:
    line = AttendanceLine(
        full_name=person.full_name,
        username=person.username,
        role=str(invitation.role),
        voting_right=invitation.voting_right,
        seat_label=invitation.seat_label,
        reply=str(invitation.reply),
        reply_reason=invitation.reply_reason.strip(),
    )
    arrivals = [entry for entry in entries if entry.kind == AttendanceKind.check_in]
    if arrivals:
        line.arrived_at = as_utc(arrivals[0].at)
        line.method = str(arrivals[0].method)
    line.departures = [
        Departure(as_utc(entry.at), entry.reason)
        for entry in entries
        if entry.kind == AttendanceKind.check_out
    ]
    line.present = bool(entries) and entries[-1].kind == AttendanceKind.check_in
    return line


# The English words for the stored codes; the reader's language comes from `tr`.
WORDS = {
    "chair": "Chair",
    "delegate": "Delegate",
    "observer": "Observer",
    "invited": "No reply",
    "accepted": "Accepted",
    "declined": "Declined",
    "present": "Present",
    "left": "Left",
    "absent": "Absent",
    "face": "Face",
    "manual": "At the desk",
    "qr": "QR code",
}


def attendance_rows(lines: list[AttendanceLine], tr: Translate = as_is) -> list[Row]:
    """The report as a table: the header, then one row per invitee."""
    header = tuple(tr(label) for label in ATTENDANCE_HEADER)
    return [header, *(_row(line, tr) for line in lines)]


def _row(line: AttendanceLine, tr: Translate) -> Row:
    def word(code: str) -> str:
        return tr(WORDS[code]) if code in WORDS else code

    return (
        line.full_name,
        line.username,
        word(line.role),
        tr("Yes") if line.voting_right else tr("No"),
        line.seat_label,
        word(line.reply),
        word(line.status),
        local_time(line.arrived_at),
        word(line.method) if line.method else "",
        "; ".join(_departure(departure) for departure in line.departures),
        tr(line.absence_reason) if line.absence_reason == "Declined" else line.absence_reason,
    )


def _departure(departure: Departure) -> str:
    when = local_time(departure.at)
    return f"{when} ({departure.reason})" if departure.reason else when


def local_time(value: datetime | None) -> str:
    """A time as read in Vietnam, to the second; empty for none."""
    return "" if value is None else as_utc(value).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


def _summary(meeting: Meeting, lines: list[AttendanceLine], tr: Translate) -> list[Row]:
    arrived = sum(line.arrived_at is not None for line in lines)
    rows = [
        ("Meeting", meeting.title),
        ("Starts (UTC+7)", local_time(meeting.start_at)),
        ("Location", meeting.location),
        ("Invited", str(len(lines))),
        ("Arrived so far", str(arrived)),
        ("Present now", str(sum(line.present for line in lines))),
        ("Absent", str(len(lines) - arrived)),
    ]
    return [(tr(label), value) for label, value in rows]


def attendance_csv(*, session: Session, meeting: Meeting, tr: Translate = as_is) -> bytes:
    """The attendance report as CSV (UTF-8 with a byte order mark): figures, then invitees."""
    lines = attendance_lines(session=session, meeting=meeting)
    return pdf.csv_bytes([_summary(meeting, lines, tr), attendance_rows(lines, tr)])


def attendance_pdf(*, session: Session, meeting: Meeting, tr: Translate = as_is) -> bytes:
    """The attendance report as a landscape PDF."""
    lines = attendance_lines(session=session, meeting=meeting)
    summary = [(tr("Attendance"), ""), *_summary(meeting, lines, tr)]
    title = f"{tr('Attendance')}: {meeting.title}"
    tables = [summary, attendance_rows(lines, tr)]
    return pdf.tables_pdf(title, [pdf.Section(tables=tables)], landscape=True)


def poll_results(*, session: Session, meeting: Meeting) -> list[dict[str, Any]]:
    """The stored result of every closed or published poll of the meeting, oldest first."""
    query = select(Poll).where(
        Poll.meeting_id == meeting.id,
        col(Poll.status).in_([PollStatus.closed, PollStatus.published]),
    )
    polls = session.exec(query.order_by(col(Poll.id))).all()
    return [poll.result for poll in polls if poll.result is not None]


def polls_csv(*, session: Session, meeting: Meeting, tr: Translate = as_is) -> bytes:
    """Every poll's result as CSV, one after another."""
    tables: list[list[Row]] = [[(tr("Meeting"), meeting.title)]]
    for result in poll_results(session=session, meeting=meeting):
        summary, *rest = export.result_tables(result, tr)
        tables += [summary[1:], *rest]
    return pdf.csv_bytes(tables)


def polls_pdf(*, session: Session, meeting: Meeting, tr: Translate = as_is) -> bytes:
    """Every poll's result as PDF, one poll per page."""
    results = poll_results(session=session, meeting=meeting)
    sections = [export.result_section(result, tr) for result in results]
    title = f"{tr('Poll results')}: {meeting.title}"
    return pdf.tables_pdf(title, sections or [pdf.Section()])
