"""`hop audit verify` and `hop audit list`: the audit trail from a shell."""

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from cli.db import database

app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]


def register(parent: typer.Typer) -> None:
    """Add `hop audit …` to the `hop` app."""
    parent.add_typer(app, name="audit")


@app.command()
def verify() -> None:
    """Recompute the chain; exit 1 naming the first broken entry."""
    from core import audit

    with database() as session:
        report = audit.check_chain(session)
    if report.broken is not None:
        typer.echo(f"Audit chain broken at entry {report.broken}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Audit chain intact, {report.entries} entries.")


@app.command("list")
def list_entries(
    action: Annotated[str, typer.Option(help="Action or its prefix, e.g. poll or auth.login")] = "",
    actor: Annotated[str, typer.Option(help="Username or device label")] = "",
    meeting: Annotated[int | None, typer.Option(help="Meeting id")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="From this date or time (UTC)", formats=_FORMATS)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="At most this many")] = 50,
) -> None:
    """Entries matching the filters, newest first."""
    from core import audit

    where = audit.AuditFilter(action=action, actor=actor, meeting_id=meeting, since=_utc(since))
    with database() as session:
        rows, total = audit.list_entries(session, where=where, limit=limit)
    for row in rows:
        typer.echo(_line(row))
    typer.echo(f"{len(rows)} of {total} entries.")


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=value.tzinfo or UTC)


def _line(row: Any) -> str:
    from core.audit import canonical_time

    target = f"{row.target_type}:{row.target_id}" if row.target_type else "-"
    meeting = f"meeting:{row.meeting_id}" if row.meeting_id is not None else "-"
    at = canonical_time(row.at)[:19]
    return f"{row.id:>6}  {at}  {row.action:<20} {row.actor or '-':<16} {target:<14} {meeting}"
