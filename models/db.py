"""The engine and sessions. Created by the app's lifespan or the CLI, never at import."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DataError
from sqlmodel import Session, create_engine

from models.events import PUBLISH, Publisher

# Connections per engine: web.limits admits fewer HTTP requests than this at once, and short
# websocket and writer jobs use the rest.
POOL_SIZE = 10
POOL_OVERFLOW = 20
REQUEST_LIMIT = 20
_FULL_SYNC = "hop_full_sync"
# What a database refuses as bad input, not a fault: an id or count beyond its integers
# (SQLite raises OverflowError) or a value PostgreSQL refuses (DataError: out of range, a NUL
# character). HTTP (web.errors) and the websockets (web.realtime.ws) answer both with a 422.
OUT_OF_RANGE = (OverflowError, DataError)
OUT_OF_RANGE_DETAIL = "A number is out of range or a text holds a character that cannot be stored"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (psycopg 3)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", _restore_normal_sync)
        return engine
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(False))
    # Parameters stay out of SQL logs: they would carry ballots and biometric data.
    return create_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_pre_ping=True,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # NORMAL in WAL mode survives a killed process but may lose the last commits on a power
    # cut; ballots ask for FULL on their own connection (full_sync), the rest stays fast.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # SQLite's lower() folds ASCII only; Vietnamese capitals (Đ, Ỗ, Ư…) need Python's, as on
    # PostgreSQL, so that searching "đỗ" finds "Đỗ Thị Hoa".
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def full_sync(session: Session) -> None:
    """Make this session's commits durable against a power cut (SQLite: synchronous=FULL, until
    the connection goes back to the pool). Call it before the session's first statement:
    SQLite refuses to change it inside a transaction. PostgreSQL commits are durable already."""
    connection = session.connection()
    raw = connection.connection
    if connection.dialect.name != "sqlite" or raw.info.get(_FULL_SYNC):
        return
    if getattr(raw.driver_connection, "in_transaction", False):
        return  # writes of the caller are pending; changing it now would fail
    connection.exec_driver_sql("PRAGMA synchronous=FULL")
    raw.info[_FULL_SYNC] = True


def _restore_normal_sync(dbapi_connection: Any, record: Any) -> None:
    if record.info.pop(_FULL_SYNC, False):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


@contextmanager
def open_session(engine: Engine, *, publish: Publisher | None = None) -> Iterator[Session]:
    """A session for one unit of work (a request, a socket's read, a background round); the
    events it commits go to `publish` when given. Objects stay loaded after the commit.

    The work may run in a thread that outlives the app (a cancelled task does not stop its
    thread): when the engine was disposed meanwhile, the connection went back to the old
    pool, so close that pool again rather than leak it."""
    pool = engine.pool
    try:
        with Session(engine, expire_on_commit=False) as session:
            if publish is not None:
                session.info[PUBLISH] = publish
            yield session
    finally:
        if engine.pool is not pool:
            pool.dispose()


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session that only reads, outside a transaction: no BEGIN and no ROLLBACK round trip
    (a storm of reconnecting screens pays for each). Each statement sees what was committed
    when it ran, as under PostgreSQL's READ COMMITTED inside a transaction."""
    with open_session(engine.execution_options(isolation_level="AUTOCOMMIT")) as session:
        yield session
