"""E-mail in the web app: the SMTP settings as a MailConfig, the reply-link signer, and the
background task that sends reminders while the server runs."""

import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session

from meetings.mail import MailConfig, MailReport, send_invitations
from meetings.reminders import send_reminders
from meetings.reply_links import ReplyLinks
from models import Meeting
from models.db import open_session
from web.periodic import Periodic
from web.settings import Settings

log = logging.getLogger("hop.mail")


def mail_config(settings: Settings) -> MailConfig | None:
    """The SMTP settings, or None when no SMTP host is set (e-mail is off)."""
    if not settings.smtp_host:
        return None
    return MailConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        sender=settings.mail_from,
        public_url=settings.public_url,
    )


def reply_links(settings: Settings) -> ReplyLinks:
    return ReplyLinks(settings.resolved_secret_key)


def invite_once(
    *, session: Session, meeting: Meeting, settings: Settings, resend: bool
) -> MailReport | None:
    """E-mail the meeting's invitations (blocking: call it from a sync endpoint); None when
    e-mail is off."""
    config = mail_config(settings)
    if config is None:
        return None
    return send_invitations(
        session=session, meeting=meeting, config=config, links=reply_links(settings), resend=resend
    )


def remind_once(engine: Engine, settings: Settings) -> MailReport | None:
    """One round of reminders (blocking: run it in a thread); None when e-mail is off."""
    config = mail_config(settings)
    if config is None:
        return None
    with open_session(engine) as session:
        return send_reminders(
            session=session,
            config=config,
            links=reply_links(settings),
            hours=settings.reminder_hours,
        )


def _remind_round(engine: Engine, settings: Settings) -> None:
    report = remind_once(engine, settings)
    if report is not None and (report.sent or report.failed):
        log.info("Reminders: %d sent, %d failed", len(report.sent), len(report.failed))


def start_reminders(engine: Engine, settings: Settings) -> Periodic | None:
    """Start the reminder rounds, unless e-mail is off."""
    if mail_config(settings) is None:
        return None
    interval = settings.reminder_interval_seconds
    return Periodic("reminders", interval, lambda: _remind_round(engine, settings)).start()


async def stop_reminders(task: Periodic | None) -> None:
    if task is not None:
        await task.stop()
