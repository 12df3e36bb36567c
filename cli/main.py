"""The `hop` command line: serve, migrate, demo, create-user."""

from typing import Annotated

import typer

from cli import archive as cli_archive
from cli import audit as cli_audit
from cli import backup as cli_backup
from cli import faces as cli_faces
from cli import mail as cli_mail
from cli import search as cli_search
from cli import verify as cli_verify
from cli import verify_poll as cli_verify_poll
from cli.db import database
from web.settings import get_settings

app = typer.Typer(
    help="Hop: paperless meetings with face check-in and live voting.", no_args_is_help=True
)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes")] = 1,
) -> None:
    """Serve Hop over HTTP and websockets; SIGTERM drains (see /readyz and HOP_DRAIN_SECONDS)."""
    import uvicorn

    from cli.serve import GRACEFUL_SECONDS, workers_refusal
    from web.logs import log_config

    refusal = workers_refusal(get_settings(), workers)
    if refusal is not None:
        typer.echo(refusal, err=True)
        raise typer.Exit(2)
    log_format = get_settings().log_format
    if log_format != "json":  # JSON logs: every line one object (uvicorn says where it serves)
        typer.echo(f"Hop is serving on http://{host}:{port}")
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        proxy_headers=True,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        log_config=log_config(log_format),  # HOP_LOG_FORMAT, in every worker
    )


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the latest version."""
    from models.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    typer.echo("Database is up to date.")


@app.command()
def demo(
    password: Annotated[
        str | None, typer.Option(help="Password of every demo account (or HOP_DEMO_PASSWORD)")
    ] = None,
    if_empty: Annotated[
        bool, typer.Option(help="Only load when the database has no people")
    ] = False,
    url: Annotated[
        str | None,
        typer.Option(help="Where Hop is served, for the banner (default: HOP_PUBLIC_URL)"),
    ] = None,
) -> None:
    """Load a demo city committee: about 30 people, two meetings, agendas and PDF documents."""
    from demo.council import DEFAULT_PASSWORD, DemoError, load_demo, print_logins

    settings = get_settings()
    password = password or settings.demo_password or DEFAULT_PASSWORD
    try:
        loaded = load_demo(settings, password=password, only_if_empty=if_empty)
    except DemoError as error:
        typer.echo(f"hop demo: {error}", err=True)
        raise typer.Exit(1) from error
    if loaded is None:
        typer.echo("The database already has people; the demo was not loaded again.")
    else:
        typer.echo(loaded.describe())
    print_logins(
        password if loaded is not None or not if_empty else None,
        url=url or settings.public_url,
    )


@app.command("create-user")
def create_user(
    username: str,
    full_name: Annotated[str, typer.Option(help="Full name")],
    role: Annotated[str, typer.Option(help="admin, secretariat or delegate")] = "secretariat",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Add an account (for example the first admin)."""
    from meetings.people import create_person
    from models import PersonCreate, Role

    with database() as session:
        data = PersonCreate(
            username=username, full_name=full_name, role=Role(role), password=password
        )
        person = create_person(session=session, data=data)
        typer.echo(f"Created {person.username} ({person.role}).")


cli_faces.register(app)  # enroll, purge-faces, eval-faces, kiosk
cli_mail.register(app)  # remind
cli_audit.register(app)  # audit verify, audit list
cli_archive.register(app)  # archive export, archive import
cli_search.register(app)  # reindex
cli_verify.register(app)  # verify (signed results and PDFs)
cli_verify_poll.register(app)  # verify-poll (an encrypted poll's board)
cli_backup.register(app)  # backup, restore


def main() -> None:
    app()
