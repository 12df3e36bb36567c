"""A backup of one Hop installation: the database, the data folder and a manifest.

The layout, in a folder or a .tar archive of it:
    manifest.json        format, Hop version, Alembic revision, time, sha256 and size of each part
    database.pgdump      pg_dump --format=custom (PostgreSQL), or
    database.sqlite3     a copy made by SQLite's online backup API
    data/…               the data folder: stored documents (files/), kept face photos (faces/),
                         the generated secret_key when there is one
"""

import hashlib
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from cli import dbdump
from web.settings import Settings

FORMAT = "hop-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data"
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup could not be made or restored; the message says why in plain words."""


def is_tar(path: Path) -> bool:
    return path.name.endswith(TAR_SUFFIXES)


def dated(dest: Path, now: datetime) -> Path:
    """dest with the time in its name before the suffix: hop.tar -> hop-20261205-220000.tar"""
    suffix = next((end for end in TAR_SUFFIXES if dest.name.endswith(end)), "")
    stem = dest.name[: len(dest.name) - len(suffix)]
    return dest.with_name(f"{stem}-{now:%Y%m%d-%H%M%S}{suffix}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def key_check(key: str) -> str:
    """A short fingerprint telling whether two secret keys are the same, revealing neither."""
    return hashlib.sha256(b"hop-backup-key-check\0" + key.encode()).hexdigest()[:16]


# Making a backup


def write_backup(settings: Settings, dest: Path) -> dict[str, Any]:
    """Back up to dest (a new folder, or a .tar/.tar.gz file); returns the manifest."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists; give a new folder or archive name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Built beside dest and moved into place at the end: a failed backup never looks complete.
    with tempfile.TemporaryDirectory(prefix=".hop-backup-", dir=dest.parent) as work:
        folder = Path(work) / "backup"
        folder.mkdir()
        # Neither the backup nor its work folder is copied into itself when they lie in the
        # data folder.
        manifest = _fill(settings, folder, exclude={dest.resolve(), Path(work).resolve()})
        if is_tar(dest):
            partial = Path(work) / "backup.tar"
            _tar(folder, partial, compress=not dest.name.endswith(".tar"))
            partial.replace(dest)
        else:
            if dest.exists():
                dest.rmdir()
            folder.replace(dest)
    return manifest


def _tar(folder: Path, target: Path, *, compress: bool) -> None:
    with tarfile.open(target, "w:gz") if compress else tarfile.open(target, "w") as archive:
        for part in sorted(folder.iterdir()):
            archive.add(part, arcname=part.name)


def _fill(settings: Settings, folder: Path, *, exclude: set[Path]) -> dict[str, Any]:
    url = settings.resolved_database_url
    kind = dbdump.kind(url)
    dbdump.require_client(url, "pg_dump")
    revision = dbdump.revision(url)
    if revision is None:
        raise BackupError("the database has no schema yet: nothing to back up (run hop migrate)")
    # The database first, the files after: documents are only ever added by content, so every
    # file the dump refers to is already on disk when the folder is copied.
    database_file = dbdump.DUMP_FILES[kind]
    dbdump.dump(url, folder / database_file)
    skip = live_database_files(url, kind) | exclude
    parts = [database_file, *_copy_data(settings.data_dir, folder / DATA, skip)]
    return _write_manifest(settings, folder, kind=kind, revision=revision, parts=parts)


def live_database_files(url: str, kind: str) -> set[Path]:
    """The SQLite file and its companions: copied by the backup API, never as files."""
    if kind != dbdump.SQLITE:
        return set()
    base = dbdump.sqlite_path(url).resolve()
    return {base, *(base.with_name(base.name + end) for end in ("-wal", "-shm", "-journal"))}


def _copy_data(data_dir: Path, target: Path, skip: set[Path]) -> list[str]:
    """Copy every regular file of the data folder but the live database and uploads in flight;
    returns their names as parts of the backup."""
    names: list[str] = []
    if not data_dir.is_dir():
        return names
    in_flight = (data_dir / "files" / "tmp").resolve()
    for path in sorted(data_dir.rglob("*")):
        resolved = path.resolve()
        if not path.is_file() or path.is_symlink() or resolved in skip:
            continue
        if in_flight in resolved.parents or any(parent in skip for parent in resolved.parents):
            continue
        relative = path.relative_to(data_dir).as_posix()
        copy = target / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(path, copy)
        except FileNotFoundError:
            continue  # purged meanwhile (a face photo, a replaced rendition): not in the backup
        names.append(f"{DATA}/{relative}")
    return names


def _write_manifest(
    settings: Settings, folder: Path, *, kind: str, revision: str, parts: list[str]
) -> dict[str, Any]:
    key = _current_key(settings)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "hop_version": _hop_version(),
        "alembic_revision": revision,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {"kind": kind, "file": dbdump.DUMP_FILES[kind]},
        "secret_key_in_backup": (folder / DATA / "secret_key").is_file(),
        "secret_key_check": key_check(key) if key else None,
        "parts": {
            name: {"sha256": sha256_of(folder / name), "bytes": (folder / name).stat().st_size}
            for name in parts
        },
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def _current_key(settings: Settings) -> str | None:
    """The key in force, without generating one (resolved_secret_key would write a file)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    return path.read_text().strip() if path.is_file() else None


def _hop_version() -> str:
    try:
        return metadata.version("hop")
    except metadata.PackageNotFoundError:
        return "unknown"


# Reading and checking a backup


@contextmanager
def opened(source: Path) -> Iterator[Path]:
    """The backup's folder: source itself, or a .tar extracted into a temporary folder."""
    if source.is_dir():
        yield source
        return
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    with tempfile.TemporaryDirectory(prefix=".hop-restore-") as work:
        try:
            with tarfile.open(source) as archive:
                # The "data" filter refuses absolute paths, "..", links out and device files.
                archive.extractall(work, filter="data")
        except (tarfile.TarError, OSError):
            message = f"{source} is not a Hop backup (neither a folder nor a tar archive)"
            raise BackupError(message) from None
        yield Path(work)


def checked_manifest(folder: Path) -> dict[str, Any]:
    """The manifest, once every part is present with its sha256 and nothing else was added."""
    manifest = _read_manifest(folder)
    parts: dict[str, dict[str, Any]] = manifest["parts"]
    for name, expected in parts.items():
        path = _part_path(folder, name)
        if not path.is_file():
            raise BackupError(f"the backup is incomplete: {name} is missing")
        if sha256_of(path) != expected.get("sha256"):
            raise BackupError(f"the backup was changed or damaged: {name} fails its sha256 check")
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}
    extra = sorted(found - set(parts) - {MANIFEST})
    if extra:
        raise BackupError(f"the backup holds files its manifest does not list: {extra[0]}")
    if manifest["database"]["file"] not in parts:
        raise BackupError("the backup's manifest names no database part")
    return manifest


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} is not a Hop backup (no {MANIFEST})") from None
    except (ValueError, OSError) as error:
        raise BackupError(f"the backup's {MANIFEST} cannot be read: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} is not a Hop backup (its {MANIFEST} is of another format)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format {manifest.get('format_version')} is not known to this Hop "
            f"(it reads format {FORMAT_VERSION}): restore it with the Hop that made it"
        )
    if not isinstance(manifest.get("parts"), dict) or not isinstance(
        manifest.get("database"), dict
    ):
        raise BackupError(f"the backup's {MANIFEST} is incomplete")
    return manifest


def _part_path(folder: Path, name: str) -> Path:
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise BackupError(f"the backup's manifest names a file outside the backup: {name}")
    return folder.joinpath(*pure.parts)
