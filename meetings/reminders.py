"""Reminders: one e-mail per invitee before a scheduled meeting starts, never two.

Each due invitation is claimed first (reminded_at set by a conditional UPDATE and committed),
then mailed; a failed mail gives the claim back so that the next round retries it. Two server
processes running the reminder task at once therefore never mail the same person twice.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import update
from sqlmodel import Session, col, select

from meetings.mail import (
    MAX_ERROR,
    MailConfig,
    MailReport,
    Outcome,
    deliver,
    letters_for,
    report_of,
)
from meetings.reply_links import ReplyLinks
from models import Invitation, Meeting, MeetingKind, MeetingStatus, Person, Reply
from models.base import utcnow

Row = tuple[Invitation, Person, Meeting]


def due_reminders(*, session: Session, hours: int, now: datetime | None = None) -> list[Row]:
    """Invitations of scheduled meetings starting within `hours`, not yet reminded."""
    now = now or utcnow()
    query = (
        select(Invitation, Person, Meeting)
        .join(Person, col(Person.id) == Invitation.person_id)
        .join(Meeting, col(Meeting.id) == Invitation.meeting_id)
        .where(
            Meeting.status == MeetingStatus.scheduled,
            Meeting.kind == MeetingKind.session,  # a written consultation has no session
            col(Meeting.start_at) > now,
            col(Meeting.start_at) <= now + timedelta(hours=hours),
            col(Invitation.reminded_at).is_(None),
            Invitation.reply != Reply.declined,
            col(Person.email).is_not(None),
            Person.email != "",
            col(Person.active).is_(True),
        )
        .order_by(col(Meeting.start_at), col(Invitation.id))
    )
    return [(invitation, person, meeting) for invitation, person, meeting in session.exec(query)]


def _claim(session: Session, rows: list[Row], now: datetime) -> list[Row]:
    claimed = []
    for row in rows:
        result = session.exec(
            update(Invitation)
            .where(col(Invitation.id) == row[0].id, col(Invitation.reminded_at).is_(None))
            .values(reminded_at=now)
        )
        if result.rowcount == 1:
            claimed.append(row)
    session.commit()
    return claimed


def _settle(session: Session, outcome: Outcome, rows: list[Row], now: datetime) -> None:
    for invitation, _person, _meeting in rows:
        session.refresh(invitation)
        if invitation.id in outcome.failed:
            invitation.reminded_at = None
            invitation.mail_error = outcome.failed[invitation.id][:MAX_ERROR]
        else:
            invitation.reminded_at = now
            invitation.mail_error = ""
        session.add(invitation)
    session.commit()


def send_reminders(
    *,
    session: Session,
    config: MailConfig,
    links: ReplyLinks,
    hours: int,
    now: datetime | None = None,
) -> MailReport:
    """Remind every invitee of a meeting starting within `hours` who has not been reminded."""
    now = now or utcnow()
    rows = _claim(session, due_reminders(session=session, hours=hours, now=now), now)
    try:
        messages = _letters(session, rows, config, links)
        session.commit()
        outcome = deliver(config, messages)
    except BaseException:
        # Give every claim back, so that the next round tries again.
        session.rollback()
        _settle(session, Outcome(failed={row[0].id or 0: "not sent" for row in rows}), rows, now)
        raise
    _settle(session, outcome, rows, now)
    return report_of(outcome, {inv.id or 0: person.email or "" for inv, person, _ in rows})


def _letters(
    session: Session, rows: list[Row], config: MailConfig, links: ReplyLinks
) -> list[tuple[int, EmailMessage]]:
    by_meeting: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_meeting[row[2].id or 0].append(row)
    messages = []
    for group in by_meeting.values():
        messages += letters_for(
            session=session,
            meeting=group[0][2],
            rows=[(invitation, person) for invitation, person, _ in group],
            kind="reminder",
            config=config,
            links=links,
        )
    return messages
