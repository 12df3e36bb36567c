"""E-mail: invitations and reminders in Vietnamese and English, with the meeting's .ics attached.

Sending is plain, blocking smtplib: callers run it in a thread (sync endpoints, the CLI, or
`asyncio.to_thread` in the reminder task), never on the event loop.
"""

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Literal
from urllib.parse import urlencode, urlsplit

from pydantic import BaseModel
from sqlmodel import Session

from core.errors import ConflictError
from meetings import lifecycle
from meetings.calendar import meeting_ics
from meetings.reply_links import ReplyLinks, reply_token
from meetings.scheduling import list_agenda, list_invitations
from models import AgendaItem, Invitation, Meeting, Person
from models.base import as_utc, utcnow

Kind = Literal["invitation", "reminder"]
# Vietnam keeps UTC+7 all year; the e-mail shows the local time people will meet at.
VIETNAM = timezone(timedelta(hours=7), "ICT")
MAX_ERROR = 300


class MeetingOverError(ConflictError):
    pass


@dataclass(frozen=True)
class MailConfig:
    """How to reach the SMTP server, who the mail is from, and the server's public address."""

    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    starttls: bool = True
    sender: str = "Hop <hop@localhost>"
    public_url: str = "http://127.0.0.1:8000"
    timeout: float = 15.0

    def link(self, path: str, **query: str) -> str:
        base = self.public_url.rstrip("/")
        return f"{base}{path}{'?' + urlencode(query) if query else ''}"


class MailFailure(BaseModel):
    email: str
    error: str


class MailReport(BaseModel):
    """What one round of sending did: addresses reached, addresses that failed, and why."""

    sent: list[str] = []
    failed: list[MailFailure] = []
    without_email: list[str] = []
    server_error: str = ""


# -- composing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    """Everything one e-mail says."""

    kind: Kind
    meeting: Meeting
    invitation: Invitation
    person: Person
    agenda: Sequence[AgendaItem]
    reply_url: str
    meeting_url: str


SUBJECTS = {
    "invitation": ("Giấy mời họp", "Meeting invitation"),
    "reminder": ("Nhắc lịch họp", "Meeting reminder"),
}
ROLES = {
    "chair": ("Chủ trì", "Chair"),
    "delegate": ("Đại biểu", "Delegate"),
    "observer": ("Khách mời", "Observer"),
}


def _local(value: datetime) -> str:
    return as_utc(value).astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


@dataclass(frozen=True)
class Wording:
    """The words of a letter in one language; `language` indexes SUBJECTS and ROLES."""

    language: int
    dear: str
    invite: str
    remind: str
    when: str
    local_time: str
    where: str
    role: str
    seat: str
    agenda: str
    reply: str
    documents: str


VIETNAMESE = Wording(
    language=0,
    dear="Kính gửi",
    invite="Trân trọng kính mời Ông/Bà tham dự cuộc họp:",
    remind="Xin nhắc Ông/Bà cuộc họp sắp diễn ra:",
    when="Thời gian",
    local_time="giờ Việt Nam",
    where="Địa điểm",
    role="Vai trò",
    seat="Chỗ ngồi",
    agenda="Chương trình:",
    reply="Xác nhận tham dự hoặc báo vắng (kèm lý do) tại:",
    documents="Tài liệu cuộc họp:",
)
ENGLISH = Wording(
    language=1,
    dear="Dear",
    invite="You are invited to the meeting:",
    remind="A reminder of your coming meeting:",
    when="When",
    local_time="Vietnam time",
    where="Where",
    role="Role",
    seat="Seat",
    agenda="Agenda:",
    reply="Accept, or decline with a reason, at:",
    documents="Meeting documents:",
)


def _lines(letter: Letter, words: Wording) -> list[str]:
    meeting, invitation = letter.meeting, letter.invitation
    opening = words.invite if letter.kind == "invitation" else words.remind
    lines = [f"{words.dear} {letter.person.full_name},", "", opening, f"  {meeting.title}"]
    span = f"{_local(meeting.start_at)} – {_local(meeting.end_at)}"
    lines.append(f"{words.when}: {span} ({words.local_time})")
    if meeting.location:
        lines.append(f"{words.where}: {meeting.location}")
    lines.append(f"{words.role}: {ROLES[invitation.role][words.language]}")
    if invitation.seat_label:
        lines.append(f"{words.seat}: {invitation.seat_label}")
    if letter.agenda:
        lines += ["", words.agenda] + [f"  {n}. {i.title}" for n, i in _numbered(letter)]
    lines += ["", words.reply, f"  {letter.reply_url}"]
    lines += [words.documents, f"  {letter.meeting_url}"]
    return lines


def _numbered(letter: Letter) -> list[tuple[int, AgendaItem]]:
    return list(enumerate(letter.agenda, start=1))


def compose(letter: Letter, *, sender: str, ics: bytes) -> EmailMessage:
    """One e-mail: Vietnamese first, then English, and the meeting as a calendar attachment."""
    vi, en = SUBJECTS[letter.kind]
    message = EmailMessage()
    message["Subject"] = f"{vi} / {en}: {_one_line(letter.meeting.title)}"
    message["From"] = sender
    message["To"] = formataddr((_one_line(letter.person.full_name), letter.person.email or ""))
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    vietnamese, english = _lines(letter, VIETNAMESE), _lines(letter, ENGLISH)
    body = [*vietnamese, "", "-" * 40, "", *english, "", "-- ", "Hop"]
    message.set_content("\n".join(body))
    message.add_attachment(
        ics.decode(),
        subtype="calendar",
        filename=f"meeting-{letter.meeting.id}.ics",
        params={"method": "PUBLISH"},
    )
    return message


def _one_line(text: str) -> str:
    # A line break in a header would end it (and e-mail refuses such headers): fold it away.
    return " ".join(text.split())


def _domain(sender: str) -> str:
    return sender.rpartition("@")[2].strip("> ") or "hop"


def letters_for(
    *,
    session: Session,
    meeting: Meeting,
    rows: Sequence[tuple[Invitation, Person]],
    kind: Kind,
    config: MailConfig,
    links: ReplyLinks,
) -> list[tuple[int, EmailMessage]]:
    """The e-mails of one meeting for these invitations, keyed by invitation id."""
    agenda = list_agenda(session=session, meeting=meeting)
    ics = meeting_ics(meeting, host=urlsplit(config.public_url).hostname or "hop")
    meeting_url = config.link(f"/room/{meeting.id}")
    messages = []
    for invitation, person in rows:
        token = reply_token(links, invitation=invitation, meeting=meeting)
        reply_url = config.link("/invitations/reply", token=token)
        letter = Letter(kind, meeting, invitation, person, agenda, reply_url, meeting_url)
        assert invitation.id is not None
        messages.append((invitation.id, compose(letter, sender=config.sender, ics=ics)))
    return messages


# -- sending -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """Which messages went out, which failed and why, and a server-wide error if any."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    server_error: str = ""


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {_text(reply)}" for code, reply in error.recipients.values()]
        return ("refused: " + "; ".join(codes))[:MAX_ERROR]
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"[:MAX_ERROR]
    return (f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)[:MAX_ERROR]


def _connect(config: MailConfig) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.user:
            smtp.login(config.user, config.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


# One recipient's message refused: the connection stays usable for the next one.
_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def deliver(config: MailConfig, messages: Sequence[tuple[int, EmailMessage]]) -> Outcome:
    """Send the messages over one SMTP connection; never raises for a mail or network failure."""
    outcome = Outcome()
    if not messages:
        return outcome
    try:
        smtp = _connect(config)
    except (OSError, smtplib.SMTPException) as error:
        return _all_failed(outcome, messages, _describe(error))
    try:
        for index, (key, message) in enumerate(messages):
            try:
                smtp.send_message(message)
            except _REFUSED as error:
                outcome.failed[key] = _describe(error)
            except (OSError, smtplib.SMTPException) as error:
                return _all_failed(outcome, messages[index:], _describe(error))
            else:
                outcome.sent.append(key)
    finally:
        _quit(smtp)
    return outcome


def _all_failed(
    outcome: Outcome, messages: Sequence[tuple[int, EmailMessage]], reason: str
) -> Outcome:
    outcome.server_error = reason
    outcome.failed.update({key: reason for key, _ in messages})
    return outcome


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def report_of(outcome: Outcome, addresses: dict[int, str]) -> MailReport:
    """The outcome told by e-mail address."""
    return MailReport(
        sent=[addresses[key] for key in outcome.sent],
        failed=[
            MailFailure(email=addresses[key], error=reason)
            for key, reason in outcome.failed.items()
        ],
        server_error=outcome.server_error,
    )


# -- the use case ------------------------------------------------------------------------------


def send_invitations(
    *,
    session: Session,
    meeting: Meeting,
    config: MailConfig,
    links: ReplyLinks,
    resend: bool = False,
    now: datetime | None = None,
) -> MailReport:
    """E-mail the invitation to every invitee with an address not yet sent one (all on resend)."""
    if lifecycle.is_over(meeting):
        raise MeetingOverError("This meeting is over or cancelled; invitations cannot be sent")
    rows = [
        (invitation, person)
        for invitation, person in list_invitations(session=session, meeting=meeting)
        if resend or invitation.sent_at is None
    ]
    mailable = [(invitation, person) for invitation, person in rows if person.email]
    messages = letters_for(
        session=session,
        meeting=meeting,
        rows=mailable,
        kind="invitation",
        config=config,
        links=links,
    )
    session.commit()  # end the read before talking to the mail server
    outcome = deliver(config, messages)
    mark_outcome(session, outcome, [inv for inv, _ in mailable], field="sent_at", now=now)
    report = report_of(outcome, {inv.id or 0: person.email or "" for inv, person in mailable})
    report.without_email = [person.full_name for _, person in rows if not person.email]
    return report


def mark_outcome(
    session: Session,
    outcome: Outcome,
    invitations: Sequence[Invitation],
    *,
    field: Literal["sent_at", "reminded_at"],
    now: datetime | None = None,
) -> None:
    """Record the time on each invitation reached, and the reason on each that failed."""
    when = now or utcnow()
    for invitation in invitations:
        if invitation.id in outcome.sent:
            setattr(invitation, field, when)
            invitation.mail_error = ""
        elif invitation.id in outcome.failed:
            invitation.mail_error = outcome.failed[invitation.id][:MAX_ERROR]
        session.add(invitation)
    session.commit()
