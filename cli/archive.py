"""`hop archive export` and `hop archive import`: a whole meeting as one zip, from a shell."""

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from cli.db import database
from web.settings import get_settings

app = typer.Typer(help="Whole-meeting archives (JSON and documents in one zip).")


def register(parent: typer.Typer) -> None:
    """Add `hop archive …` to the `hop` app."""
    parent.add_typer(app, name="archive", no_args_is_help=True)


def _uploads() -> Any:
    from meetings.documents import Uploads
    from meetings.storage import BlobStore

    settings = get_settings()
    return Uploads(
        BlobStore(settings.storage_dir),
        max_bytes=settings.max_upload_bytes,
        allowed_types=settings.allowed_document_types,
    )


@app.command("export")
def export_command(
    meeting_id: int,
    file: Annotated[Path, typer.Argument(help="The zip to write", dir_okay=False)],
) -> None:
    """Write meeting MEETING_ID with its documents to FILE."""
    from core.errors import HopError
    from models import Meeting
    from records import archive

    with database() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            _fail(f"meeting {meeting_id} not found")
        try:
            archive.export_meeting(
                session=session, store=_uploads().store, meeting=meeting, target=file
            )
        except HopError as error:
            file.unlink(missing_ok=True)
            _fail(error.detail)
    typer.echo(f"Meeting {meeting_id} written to {file}.")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A zip from `hop archive export`", exists=True)],
) -> None:
    """Create a new meeting from FILE; people are matched by username."""
    from core.errors import HopError
    from records import archive

    with database() as session, file.open("rb") as source:
        try:
            meeting = archive.import_meeting(session=session, uploads=_uploads(), source=source)
        except HopError as error:
            _fail(error.detail)
        typer.echo(f"Imported as meeting {meeting.id}: {meeting.title}")


def _fail(message: str) -> NoReturn:
    typer.echo(f"hop archive: {message}", err=True)
    raise typer.Exit(1)
