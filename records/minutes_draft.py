"""The first draft of the minutes, written from what the meeting recorded: invitations and
attendance, the agenda, published documents, speeches, closed polls and opinions.

The text is Vietnamese whatever the screen's language: minutes are an administrative document
of the meeting, filed as such. Everything becomes editable text; nothing is kept apart."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlmodel import Session, col, select

from checkin.attendance import AttendanceRow, attendance_report
from meetings import scheduling
from models import (
    AgendaItem,
    AttendanceMethod,
    Document,
    DocumentStatus,
    DocumentVersion,
    Event,
    Invitation,
    Meeting,
    MeetingRole,
    MeetingStatus,
    MinutesBody,
    MinutesSection,
    OrgUnit,
    Person,
    Poll,
    PollKind,
    PollStatus,
    Reply,
    SpeechRequest,
    SpeechStatus,
)
from models.base import as_utc

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving
METHODS = {
    AttendanceMethod.face: "nhận diện khuôn mặt",
    AttendanceMethod.qr: "mã QR",
    AttendanceMethod.manual: "điểm danh tại bàn thư ký",
}
VERDICTS = {
    "adopted": "Thông qua",
    "rejected": "Không thông qua",
    "elected": "Được chọn",
    "tie": "Số phiếu ngang nhau, chưa có kết quả",
}
YES_NO_LABELS = {"yes": "Tán thành", "no": "Không tán thành"}
COUNTED = (PollStatus.closed, PollStatus.published)


@dataclass(frozen=True)
class Times:
    """When the meeting started and closed: from its status changes, else as scheduled."""

    start: datetime
    end: datetime
    started: bool  # start is when the meeting went in progress, not the scheduled time
    closed: bool  # end is when the meeting was closed


@dataclass
class ItemFacts:
    """What happened under one agenda item (or outside the agenda, item None)."""

    item: AgendaItem | None
    documents: list[tuple[Document, DocumentVersion | None]] = field(default_factory=list)
    speeches: list[tuple[SpeechRequest, str]] = field(default_factory=list)
    polls: list[Poll] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.documents or self.speeches or self.polls)


def draft_body(*, session: Session, meeting: Meeting) -> MinutesBody:
    """The minutes as the meeting's records tell them, ready for the secretariat to edit."""
    chair = _person(session, meeting.chair_id) or _invited_chair(session, meeting)
    secretary = _person(session, meeting.created_by)
    items = _item_facts(session, meeting)
    times = meeting_times(session=session, meeting=meeting)
    sections = [
        _time_place(meeting, times),
        _participants(session, meeting, chair, secretary),
        _proceedings(len(items) - 1),
    ]
    for number, facts in enumerate(items[1:], start=1):
        sections += _item_sections(facts, f"{number}. ")
    if not items[0].empty():
        sections += _item_sections(items[0], "")
    sections.append(_closing(times))
    return MinutesBody(
        issuer=_issuer(session, chair),
        place_date=f"Ngày {_long_date(_day(times.start))}",
        subject=meeting.title,
        chair_name=chair.full_name if chair else "",
        secretary_name=secretary.full_name if secretary else "",
        sections=sections,
    )


def _person(session: Session, person_id: int | None) -> Person | None:
    return None if person_id is None else session.get(Person, person_id)


def _invited_chair(session: Session, meeting: Meeting) -> Person | None:
    query = (
        select(Person)
        .join(Invitation, col(Invitation.person_id) == Person.id)
        .where(Invitation.meeting_id == meeting.id, Invitation.role == MeetingRole.chair)
    )
    return session.exec(query).first()


def issuer_of(session: Session, meeting: Meeting) -> str:
    """The issuing body printed at the top left of the meeting's records: the chair's unit."""
    chair = _person(session, meeting.chair_id) or _invited_chair(session, meeting)
    return _issuer(session, chair)


def _issuer(session: Session, chair: Person | None) -> str:
    unit = None if chair is None or chair.unit_id is None else session.get(OrgUnit, chair.unit_id)
    return unit.name.upper() if unit else ""


def _long_date(day: date) -> str:
    # Administrative style: a zero before days under 10 and before the months 1 and 2.
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{day.day:02d} tháng {month} năm {day.year}"


def _clock(value: datetime | None) -> str:
    return "" if value is None else as_utc(value).astimezone(VIETNAM).strftime("%H:%M")


def _hours(value: datetime) -> str:
    local = as_utc(value).astimezone(VIETNAM)
    return f"{local.hour:02d} giờ {local.minute:02d}"


def meeting_times(*, session: Session, meeting: Meeting) -> Times:
    """The actual start (first move to in progress) and close, from the meeting's event log."""
    query = (
        select(Event)
        .where(Event.meeting_id == meeting.id, Event.type == "meeting.status")
        .order_by(col(Event.seq))
    )
    changes = [(row.data.get("status"), row.created_at) for row in session.exec(query)]
    started = next((at for status, at in changes if status == MeetingStatus.in_progress), None)
    closed = next((at for status, at in reversed(changes) if status == MeetingStatus.closed), None)
    return Times(
        start=started or meeting.start_at,
        end=closed or meeting.end_at,
        started=started is not None,
        closed=closed is not None,
    )


def _day(value: datetime) -> date:
    return as_utc(value).astimezone(VIETNAM).date()


def _time_place(meeting: Meeting, times: Times) -> MinutesSection:
    lines = [_time_line(times), f"Địa điểm: {meeting.location or '…'}."]
    if meeting.description:
        lines.append(f"Nội dung: {meeting.description}")
    return MinutesSection(key="time_place", title="I. THỜI GIAN, ĐỊA ĐIỂM", text="\n".join(lines))


def _time_line(times: Times) -> str:
    # A time the meeting did not record is given as planned, and says so.
    if not (times.started or times.closed):
        return (
            f"Thời gian (theo kế hoạch): từ {_hours(times.start)} đến {_hours(times.end)}, "
            f"ngày {_long_date(_day(times.start))}."
        )
    start = _hours(times.start) + ("" if times.started else " (theo kế hoạch)")
    end = _hours(times.end) + ("" if times.closed else " (dự kiến)")
    if _day(times.end) != _day(times.start):
        end += f" ngày {_long_date(_day(times.end))}"
    return f"Thời gian: từ {start} đến {end}, ngày {_long_date(_day(times.start))}."


def _named(person: Person | None, fallback: str = "…") -> str:
    if person is None:
        return fallback
    title = person.title.split(";")[0].strip()
    return f"{person.full_name}, {title}" if title else person.full_name


def _participants(
    session: Session, meeting: Meeting, chair: Person | None, secretary: Person | None
) -> MinutesSection:
    assert meeting.id is not None
    rows = attendance_report(session=session, meeting_id=meeting.id)
    invitations = {
        inv.person_id: inv
        for inv, _ in scheduling.list_invitations(session=session, meeting=meeting)
    }
    people = {row.person_id: session.get(Person, row.person_id) for row in rows}
    came = [row for row in rows if row.arrived_at is not None]
    away = [row for row in rows if row.arrived_at is None]
    lines = [
        f"Chủ trì: {_named(chair)}.",
        f"Thư ký: {_named(secretary)}.",
        _counts(rows, came),
        "",
        f"Có mặt ({len(came)}):",
        *_numbered(_present_line(row, people.get(row.person_id)) for row in came),
        "",
        f"Vắng mặt ({len(away)}):",
        *_numbered(
            _absent_line(row, people.get(row.person_id), invitations.get(row.person_id))
            for row in away
        ),
    ]
    return MinutesSection(key="participants", title="II. THÀNH PHẦN THAM DỰ", text="\n".join(lines))


def _counts(rows: list[AttendanceRow], came: list[AttendanceRow]) -> str:
    voting = sum(row.voting_right for row in rows)
    voting_came = sum(row.voting_right for row in came)
    return (
        f"Số người được mời: {len(rows)} ({voting} đại biểu có quyền biểu quyết); "
        f"có mặt: {len(came)} ({voting_came} đại biểu có quyền biểu quyết)."
    )


def _numbered(lines: Iterable[str]) -> list[str]:
    numbered = [f"{n}. {line}" for n, line in enumerate(lines, start=1)]
    return numbered or ["Không có."]


def _role_note(row: AttendanceRow) -> str:
    return {"chair": " (chủ trì)", "observer": " (khách mời)"}.get(row.role, "")


def _present_line(row: AttendanceRow, person: Person | None) -> str:
    line = f"{_named(person, row.full_name)}{_role_note(row)} - đến lúc {_clock(row.arrived_at)}"
    if row.method is not None:
        line += f" ({METHODS.get(row.method, str(row.method))})"
    if row.left_at is not None:
        line += f", ra về lúc {_clock(row.left_at)}"
    return line


def _absent_line(row: AttendanceRow, person: Person | None, invitation: Invitation | None) -> str:
    reason = invitation.reply_reason.strip() if invitation else ""
    if invitation is not None and invitation.reply == Reply.declined and reason:
        why = f"có lý do: {reason.rstrip('.')}"
    elif invitation is not None and invitation.reply == Reply.declined:
        why = "có báo vắng"
    else:
        why = "không báo lý do"
    return f"{_named(person, row.full_name)}{_role_note(row)} - {why}."


def _proceedings(items: int) -> MinutesSection:
    text = f"Chủ trì khai mạc cuộc họp, thông qua chương trình gồm {items} nội dung."
    return MinutesSection(key="proceedings", title="III. NỘI DUNG CUỘC HỌP", text=text)


def _item_facts(session: Session, meeting: Meeting) -> list[ItemFacts]:
    """Facts per agenda item in order, after those not tied to any item (first)."""
    agenda = scheduling.list_agenda(session=session, meeting=meeting)
    facts = {item.id: ItemFacts(item) for item in agenda}
    loose = ItemFacts(None)
    for document, version in _documents(session, meeting):
        facts.get(document.agenda_item_id, loose).documents.append((document, version))
    for speech, name in _speeches(session, meeting):
        facts.get(speech.agenda_item_id, loose).speeches.append((speech, name))
    for poll in _polls(session, meeting):
        facts.get(poll.agenda_item_id, loose).polls.append(poll)
    return [loose, *facts.values()]


def _documents(session: Session, meeting: Meeting) -> list[tuple[Document, DocumentVersion | None]]:
    query = (
        select(Document, DocumentVersion)
        .outerjoin(
            DocumentVersion,
            (col(DocumentVersion.document_id) == Document.id)
            & (col(DocumentVersion.number) == Document.current_version),
        )
        .where(Document.meeting_id == meeting.id, Document.status == DocumentStatus.published)
        .order_by(col(Document.created_at), col(Document.id))
    )
    return [(document, version) for document, version in session.exec(query)]


def _speeches(session: Session, meeting: Meeting) -> list[tuple[SpeechRequest, str]]:
    query = (
        select(SpeechRequest, Person.full_name)
        .join(Person, col(Person.id) == SpeechRequest.person_id)
        .where(SpeechRequest.meeting_id == meeting.id, SpeechRequest.status == SpeechStatus.done)
        .order_by(col(SpeechRequest.started_at), col(SpeechRequest.id))
    )
    return [(speech, name) for speech, name in session.exec(query)]


def _polls(session: Session, meeting: Meeting) -> list[Poll]:
    query = (
        select(Poll)
        .where(Poll.meeting_id == meeting.id, col(Poll.status).in_(COUNTED))
        .order_by(col(Poll.closed_at), col(Poll.id))
    )
    return [poll for poll in session.exec(query) if poll.result is not None]


def _item_sections(facts: ItemFacts, prefix: str) -> list[MinutesSection]:
    key = f"item-{facts.item.id}" if facts.item else "other"
    title = f"{prefix}{facts.item.title}" if facts.item else "Nội dung khác"
    lines = [f"Trình bày: {facts.item.presenter}."] if facts.item and facts.item.presenter else []
    lines += _block("Tài liệu:", [_document_line(d, v) for d, v in facts.documents])
    lines += _block("Ý kiến phát biểu:", [_speech_line(s, name) for s, name in facts.speeches])
    votes = [poll for poll in facts.polls if poll.kind != PollKind.opinion]
    opinions = [poll for poll in facts.polls if poll.kind == PollKind.opinion]
    lines += _block("Kết quả biểu quyết:", [_vote_line(poll) for poll in votes])
    lines += _block("Tổng hợp ý kiến:", [_opinion_lines(poll) for poll in opinions])
    return [
        MinutesSection(key=key, title=title, text="\n".join(lines).strip()),
        MinutesSection(key=f"{key}-conclusion", title="Kết luận", text=""),
    ]


def _block(heading: str, lines: list[str]) -> list[str]:
    return [heading, *lines] if lines else []


def _document_line(document: Document, version: DocumentVersion | None) -> str:
    if version is None:
        return f"- {document.title}."
    return f"- {document.title} (phiên bản {version.number}, tệp {version.filename})."


def _speech_line(speech: SpeechRequest, name: str) -> str:
    when = (
        f" ({_clock(speech.started_at)} - {_clock(speech.ended_at)})" if speech.started_at else ""
    )
    note = f": {speech.note}" if speech.note else "."
    return f"- Đại biểu {name}{when}{note}"


def _vote_line(poll: Poll) -> str:
    result: dict[str, Any] = poll.result or {}
    ballot = "bỏ phiếu kín" if poll.secret else "biểu quyết công khai"
    counts = "; ".join(
        f"{YES_NO_LABELS.get(option['id'], option['label'])}: {option['votes']}"
        for option in result.get("options", [])
    )
    if result.get("abstentions"):
        counts += f"; Không biểu quyết: {result['abstentions']}"
    return (
        f"- {poll.title} ({ballot}; {result.get('ballots', 0)} phiếu trên "
        f"{result.get('present', 0)} đại biểu có mặt): {counts}. Kết quả: {_verdict(result)}."
    )


def _verdict(result: dict[str, Any]) -> str:
    verdict = result.get("verdict") or ""
    text = VERDICTS.get(verdict, verdict or "không có")
    if verdict == "elected":
        labels = {option["id"]: option["label"] for option in result.get("options", [])}
        text += " " + ", ".join(labels.get(winner, winner) for winner in result.get("winners", []))
    return text


def _opinion_lines(poll: Poll) -> str:
    result: dict[str, Any] = poll.result or {}
    opinions = [line for line in result.get("opinions", []) if str(line.get("text", "")).strip()]
    head = f"- {poll.title}: {result.get('ballots', 0)} ý kiến"
    if poll.opinion_agree:
        head += (
            f" (đồng ý {result.get('agree', 0)}, không đồng ý {result.get('disagree', 0)}, "
            f"không nêu {result.get('no_position', 0)})"
        )
    return "\n".join([f"{head}.", *(_opinion_line(line) for line in opinions)])


def _opinion_line(line: dict[str, Any]) -> str:
    who = f"{line['full_name']}: " if line.get("full_name") else ""
    return f"  + {who}{str(line['text']).strip()}"


def _closing(times: Times) -> MinutesSection:
    if not times.closed:
        text = f"Cuộc họp kết thúc lúc … (theo kế hoạch: {_hours(times.end)})."
    elif _day(times.end) == _day(times.start):
        text = f"Cuộc họp kết thúc lúc {_hours(times.end)} cùng ngày."
    else:
        text = f"Cuộc họp kết thúc lúc {_hours(times.end)} ngày {_long_date(_day(times.end))}."
    return MinutesSection(key="closing", title="IV. KẾT THÚC", text=text)
