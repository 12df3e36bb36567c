"""`hop remind`: send the reminders that are due now (for cron, or when the server is down)."""

import typer

from web.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add the e-mail commands to the `hop` app."""
    app.command("remind")(remind)


def remind() -> None:
    """E-mail a reminder to invitees of meetings starting within HOP_REMINDER_HOURS, once each."""
    from models.db import make_engine
    from web.mail import remind_once

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        report = remind_once(engine, settings)
    finally:
        engine.dispose()
    if report is None:
        typer.echo("hop remind: e-mail is not set up (set HOP_SMTP_HOST).", err=True)
        raise typer.Exit(2)
    typer.echo(f"Reminders sent: {len(report.sent)}.")
    for failure in report.failed:
        typer.echo(f"Failed: {failure.email}: {failure.error}", err=True)
    if report.failed:
        raise typer.Exit(1)
