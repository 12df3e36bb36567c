"""The database session a `hop` command works in."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from web.settings import get_settings

if TYPE_CHECKING:
    from sqlmodel import Session


@contextmanager
def database() -> Iterator["Session"]:
    """A session on HOP_DATABASE_URL; the engine is disposed when the command is done."""
    # Imported here so `hop --help` does not pay for SQLAlchemy.
    from models.db import make_engine, open_session

    engine = make_engine(get_settings().resolved_database_url)
    try:
        with open_session(engine) as session:
            yield session
    finally:
        engine.dispose()
