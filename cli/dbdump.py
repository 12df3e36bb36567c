"""The database part of a backup: PostgreSQL through pg_dump and pg_restore, SQLite through its
online backup API (a plain copy of a live SQLite file, or of one in WAL mode, can be torn)."""

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import OperationalError

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
DUMP_FILES = {POSTGRESQL: "database.pgdump", SQLITE: "database.sqlite3"}


class DumpError(Exception):
    """A database could not be dumped or restored; the message says why in plain words."""


def kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in DUMP_FILES:
        raise DumpError(f"cannot back up a {backend} database (PostgreSQL or SQLite only)")
    return backend


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL (an in-memory database has none to back up)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise DumpError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def dump(url: str, target: Path) -> None:
    """Write the database at url to the file target."""
    if kind(url) == POSTGRESQL:
        _pg_run("pg_dump", url, ["--format=custom", "--no-password", f"--file={target}"])
        return
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise DumpError(f"no SQLite database at {source_path}")
    _sqlite_copy(source_path, target)


def restore(url: str, source: Path) -> None:
    """Replace the contents of the database at url by the dump in source."""
    if kind(url) == POSTGRESQL:
        # --clean --if-exists replaces what a `hop migrate` or an earlier restore left; one
        # transaction, so a failed restore leaves the database as it was. Owners and grants of
        # the source server need not exist here.
        _pg_run(
            "pg_restore",
            url,
            ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"],
            str(source),
        )
        return
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(source, target)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Page by page under SQLite's own locks: consistent even while a server writes."""
    try:
        with _closing(sqlite3.connect(source)) as src, _closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
            # One self-contained file (no -wal beside it) for the backup; a live target goes
            # back to WAL when Hop opens it.
            dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise DumpError(f"SQLite: {error}") from error


class _closing:
    """sqlite3's own context manager commits but never closes."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *_exc: object) -> None:
        self.connection.close()


def _pg_run(program: str, url: str, options: list[str], *arguments: str) -> None:
    require_client(url, program)
    uri, env = libpq(url)
    command = [program, *options, f"--dbname={uri}", *arguments]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DumpError(f"{program} failed: {done.stderr.strip() or done.returncode}")


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI and the environment for the client programs: the password goes
    in PGPASSWORD, never on a command line others can read in `ps`."""
    parsed: URL = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), env


def require_client(url: str, program: str) -> None:
    """Fail before any work when a PostgreSQL client program is missing."""
    if kind(url) == POSTGRESQL and shutil.which(program) is None:
        raise DumpError(
            f"{program} is not installed: install the PostgreSQL client programs "
            "(Debian: postgresql-client) of the server's major version or newer"
        )


def has_rows(url: str) -> bool:
    """Whether any of Hop's tables holds a row (an empty schema from `hop migrate` does not)."""
    from sqlmodel import SQLModel

    import models  # noqa: F401  (registers every table in the metadata)

    if kind(url) == SQLITE and not sqlite_path(url).exists():
        return False
    with _connected(url) as connection:
        present = set(inspect(connection).get_table_names())
        return any(
            table.name in present and _any_row(connection, table.name)
            for table in SQLModel.metadata.sorted_tables
        )


def _any_row(connection: Connection, name: str) -> bool:
    # Table names come from Hop's own metadata, never from input.
    return connection.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None


def revision(url: str) -> str | None:
    """The Alembic revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with _connected(url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _connected(url: str) -> Iterator[Connection]:
    """A connection to url; a database that cannot be reached is a DumpError saying so."""
    from models.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    except OperationalError as error:
        raise DumpError(f"cannot reach the database: {error.orig or error}") from None
    finally:
        engine.dispose()
