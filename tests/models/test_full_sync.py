"""Ballot transactions ask SQLite for synchronous=FULL; the pooled connection goes back to
NORMAL afterwards so that other writes stay cheap."""

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.db import full_sync

FULL, NORMAL = 2, 1


def _synchronous(session: Session) -> int:
    return int(session.exec(text("PRAGMA synchronous")).one()[0])  # type: ignore[call-overload]


def test_full_sync_holds_for_the_session_and_resets_in_the_pool(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL commits are durable (synchronous_commit=on) without asking")
    with Session(engine) as session:
        full_sync(session)
        assert _synchronous(session) == FULL
    with Session(engine) as session:
        assert _synchronous(session) == NORMAL


def test_full_sync_is_skipped_inside_a_pending_write(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has no synchronous pragma to refuse")
    with Session(engine) as session:
        session.exec(text("CREATE TEMP TABLE t (x INTEGER)"))  # type: ignore[call-overload]
        session.exec(text("INSERT INTO t VALUES (1)"))  # type: ignore[call-overload]
        full_sync(session)  # SQLite would refuse; the caller's write still goes through
        session.commit()
