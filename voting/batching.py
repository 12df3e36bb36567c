"""Writing a batch of casts in one commit, and what happens when another writer got in first.

Shared by plain ballots (voting.batch) and encrypted ones (voting.encrypted_polls.batch): the
batch is written in one durable transaction; when an insert meets another writer's row
(IntegrityError: a voter's ballot or mark, a tracking code), the batch is rolled back and each
cast is taken again on its own, so that only the cast that clashes gets its error.
"""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from models.db import full_sync

ATTEMPTS = 3
Cast = TypeVar("Cast")
Outcome = TypeVar("Outcome")


def write_in_one_commit(
    session: Session,
    casts: Sequence[Cast],
    write: Callable[[Sequence[Cast]], list[Outcome]],
) -> list[Outcome]:
    """`write` the casts (it commits); on a clash, each cast again on its own."""
    for attempt in range(ATTEMPTS):
        full_sync(session)  # an acknowledged ballot must survive a power cut
        try:
            return write(casts)
        except IntegrityError:
            session.rollback()
            if len(casts) > 1:
                return [
                    outcome
                    for pending in casts
                    for outcome in write_in_one_commit(session, [pending], write)
                ]
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def insert_rows(session: Session, rows: Sequence[SQLModel]) -> None:
    """Insert new rows of one table in one executemany, past the ORM's unit of work, whose
    flush was a third of a batch's write in a burst of a thousand ballots (bench.voting). The
    rows stay detached: nothing reads them back as objects in this transaction."""
    if not rows:
        return
    table: Any = type(rows[0]).__table__  # type: ignore[attr-defined]
    names = [column.key for column in table.columns]
    session.execute(table.insert(), [{name: getattr(row, name) for name in names} for row in rows])
