"""E-mail in the web app: the SMTP settings as a MailConfig, the reply-link signer, and the
background task that sends reminders while the server runs."""

import asyncio
import contextlib
import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session

from meetings.mail import MailConfig, MailReport
from meetings.reminders import send_reminders
from meetings.reply_links import ReplyLinks
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


def remind_once(engine: Engine, settings: Settings) -> MailReport | None:
    """One round of reminders (blocking: run it in a thread); None when e-mail is off."""
    config = mail_config(settings)
    if config is None:
        return None
    with Session(engine, expire_on_commit=False) as session:
        return send_reminders(
            session=session,
            config=config,
            links=reply_links(settings),
            hours=settings.reminder_hours,
        )


class ReminderTask:
    """Sends due reminders every few minutes while the server runs.

    Stopping waits for a round in progress instead of cancelling it: the round runs in a
    thread that a cancellation would not stop, and it must give its connection back before
    the lifespan disposes of the engine.
    """

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="hop-reminders")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self._round()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.settings.reminder_interval_seconds)

    async def _round(self) -> None:
        try:
            report = await asyncio.to_thread(remind_once, self.engine, self.settings)
        except Exception:  # a database hiccup must not end the task for the server's lifetime
            log.exception("The reminder round failed")
            return
        if report is not None and (report.sent or report.failed):
            log.info("Reminders: %d sent, %d failed", len(report.sent), len(report.failed))


def start_reminders(engine: Engine, settings: Settings) -> ReminderTask | None:
    """Start the reminder task, unless e-mail is off."""
    if mail_config(settings) is None:
        return None
    task = ReminderTask(engine, settings)
    task.start()
    return task


async def stop_reminders(task: ReminderTask | None) -> None:
    if task is not None:
        await task.stop()
