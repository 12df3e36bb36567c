"""`hop backup DEST` and `hop restore SRC`: the database and the data folder in one backup."""

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from web.settings import get_settings


def register(parent: typer.Typer) -> None:
    """Add `hop backup` and `hop restore` to the `hop` app."""
    parent.command("backup")(backup_command)
    parent.command("restore")(restore_command)


def backup_command(
    dest: Annotated[
        Path,
        typer.Argument(help="A new folder, or an archive: DEST.tar or DEST.tar.gz"),
    ],
    dated: Annotated[
        bool,
        typer.Option(
            "--dated",
            help="Put the date and time in DEST's name: hop.tar is hop-20261205-220000.tar",
        ),
    ] = False,
) -> None:
    """Back up the database, the stored documents and the keys of the data folder to DEST."""
    from datetime import datetime

    from cli import dbdump
    from cli.backupset import BackupError, write_backup
    from cli.backupset import dated as dated_name

    if dated:
        dest = dated_name(dest, datetime.now())
    try:
        manifest = write_backup(get_settings(), dest)
    except (BackupError, dbdump.DumpError) as error:
        _fail("backup", str(error))
    files = len(manifest["parts"]) - 1
    typer.echo(
        f"Backup written to {dest}: the {manifest['database']['kind']} database at schema "
        f"{manifest['alembic_revision']} and {files} files of the data folder."
    )
    if manifest["secret_key_check"] and not manifest["secret_key_in_backup"]:
        typer.echo(
            "The secret key comes from HOP_SECRET_KEY and is not in the backup: keep it with "
            "the backup, apart and safe (faces and certificates cannot be opened without it)."
        )


def restore_command(
    src: Annotated[Path, typer.Argument(help="A folder or .tar made by `hop backup`")],
    force: Annotated[
        bool, typer.Option(help="Replace a database or data folder that already holds data")
    ] = False,
) -> None:
    """Restore a backup into HOP_DATABASE_URL and HOP_DATA_DIR (stop the servers first)."""
    from cli import dbdump
    from cli.backupset import BackupError, checked_manifest, opened
    from cli.restore import restore_backup

    settings = get_settings()
    try:
        with opened(src) as folder:
            manifest = checked_manifest(folder)
            done = restore_backup(settings, folder, manifest, force=force)
    except (BackupError, dbdump.DumpError) as error:
        _fail("restore", str(error))
    typer.echo(
        f"Restored the backup of {manifest['created_at']} (Hop {manifest['hop_version']}, "
        f"schema {done.revision}) and {done.files} files of the data folder."
    )
    if done.migrated_to:
        typer.echo(f"The database was then migrated to {done.migrated_to}.")
    if done.key_warning:
        typer.echo(f"Warning: {done.key_warning}", err=True)


def _fail(command: str, message: str) -> NoReturn:
    typer.echo(f"hop {command}: {message}", err=True)
    raise typer.Exit(1)
