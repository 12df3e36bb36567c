"""Locking a poll row so that closing is atomic with casting.

PostgreSQL: casts take a shared transaction-level advisory lock on the poll (they run side
by side), open/close/publish/cancel an exclusive one, so a close waits for the casts in flight
and every later cast sees it closed. Advisory locks queue fairly: a waiting close holds back new
casts, where a row lock (SELECT ... FOR UPDATE against FOR SHARE) would let a steady stream of
casts starve it. The lock is taken before the poll is read, so the read sees the close.
SQLite: a no-op UPDATE takes the database write lock first, before anything is read, so the
transaction never reads a snapshot it cannot then write from.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text, update
from sqlmodel import Session, col, select

from models import Poll
from voting.errors import PollNotFoundError

# The first key of Hop's poll advisory locks ("Hop" in ASCII); the second is the poll id.
LOCK_SPACE = 0x486F70


def lock_poll(session: Session, poll_id: int, *, exclusive: bool) -> Poll:
    """The poll as committed now, locked until the transaction ends."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Poll)
            .where(col(Poll.id) == poll_id)
            .values(status=col(Poll.status))
            .execution_options(synchronize_session=False)
        )
    else:
        lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        session.execute(
            text(f"SELECT {lock}(:space, :poll_id)"), {"space": LOCK_SPACE, "poll_id": poll_id}
        )
    query = select(Poll).where(Poll.id == poll_id)
    if exclusive and session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()  # also holds off any writer that skips the advisory lock
    poll = session.exec(query.execution_options(populate_existing=True)).first()
    if poll is None:
        raise PollNotFoundError(f"Poll {poll_id} not found")
    return poll


@contextmanager
def locked_poll(session: Session, poll_id: int, *, exclusive: bool) -> Iterator[Poll]:
    """lock_poll for a unit of work that commits inside; anything raised rolls it back."""
    try:
        yield lock_poll(session, poll_id, exclusive=exclusive)
    except BaseException:
        session.rollback()
        raise
