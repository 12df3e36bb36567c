"""Putting a checked backup (cli.backupset) back: the database, then the data folder, then the
migrations a backup made by an older Hop needs."""

import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cli import dbdump
from cli.backupset import DATA, BackupError, key_check, live_database_files
from web.settings import Settings


@dataclass(frozen=True)
class Restored:
    """What a restore did, for the command's summary."""

    files: int
    revision: str
    migrated_to: str | None
    key_warning: str | None


def restore_backup(
    settings: Settings, folder: Path, manifest: dict[str, Any], *, force: bool
) -> Restored:
    """Restore a backup whose manifest was checked; refuses a target holding data unless force."""
    url = settings.resolved_database_url
    revision = _restorable(url, manifest)
    dbdump.require_client(url, "pg_restore")
    if not force:
        _refuse_non_empty(settings, url)
    dbdump.restore(url, folder / manifest["database"]["file"])
    live = live_database_files(url, dbdump.kind(url))
    files = _restore_data(folder, manifest, settings.data_dir, skip=live)
    migrated_to = _migrate(url, revision)
    return Restored(
        files=files,
        revision=revision,
        migrated_to=migrated_to,
        key_warning=_key_warning(settings, manifest),
    )


def _restorable(url: str, manifest: dict[str, Any]) -> str:
    """The backup's revision, once this Hop knows it and the database kinds agree."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from models.migrate import alembic_config

    backup_kind = manifest["database"].get("kind")
    target_kind = dbdump.kind(url)
    if backup_kind != target_kind:
        raise BackupError(
            f"the backup holds a {backup_kind} database but HOP_DATABASE_URL is {target_kind}: "
            "restore into the same kind of database"
        )
    revision = str(manifest.get("alembic_revision") or "")
    if not revision:
        raise BackupError("the backup's manifest names no schema revision")
    try:
        ScriptDirectory.from_config(alembic_config(url)).get_revision(revision)
    except CommandError:
        raise BackupError(
            f"the backup was made by a newer Hop (schema revision {revision or '?'}, Hop "
            f"{manifest.get('hop_version', '?')}): install that version or newer to restore it"
        ) from None
    return revision


def _refuse_non_empty(settings: Settings, url: str) -> None:
    if dbdump.has_rows(url):
        raise BackupError(
            "the target database already holds data; restore into an empty database, "
            "or add --force to replace it"
        )
    stored = settings.storage_dir
    in_flight = stored / "tmp"
    if stored.is_dir() and any(
        p.is_file() and in_flight not in p.parents for p in stored.rglob("*")
    ):
        raise BackupError(
            f"the data folder {settings.data_dir} already holds stored files; use an empty one, "
            "or add --force to restore over them"
        )


def _restore_data(
    folder: Path, manifest: dict[str, Any], data_dir: Path, *, skip: set[Path]
) -> int:
    count = 0
    for name in manifest["parts"]:
        pure = PurePosixPath(name)
        if pure.parts[0] != DATA or len(pure.parts) < 2:
            continue
        target = data_dir.joinpath(*pure.parts[1:])
        if target.resolve() in skip:
            continue  # a stale file where the restored SQLite database now is
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder.joinpath(*pure.parts), target)
        if pure.parts[1:] == ("secret_key",):
            target.chmod(0o600)
        count += 1
    return count


def _migrate(url: str, revision: str) -> str | None:
    """Upgrade a database restored from an older Hop; the new head, or None if already there."""
    from models.migrate import upgrade

    upgrade(url)
    now = dbdump.revision(url)
    return now if now != revision else None


def _key_warning(settings: Settings, manifest: dict[str, Any]) -> str | None:
    """Sealed data (face templates, certificates, signed links) needs the backup's key."""
    expected = manifest.get("secret_key_check")
    if not expected:
        return None
    key = settings.secret_key
    if not key:
        path = settings.data_dir / "secret_key"
        key = path.read_text().strip() if path.is_file() else ""
    if key and key_check(key) == expected:
        return None
    if manifest.get("secret_key_in_backup") and settings.secret_key:
        where = "HOP_SECRET_KEY overrides the restored secret_key file and differs from it"
    else:
        where = "the secret key in force is not the one the backup was made with"
    return (
        f"{where}: face templates, sealed certificates and signed links of the backup will not "
        "open until the original key is set (HOP_SECRET_KEY or DATA_DIR/secret_key)"
    )
