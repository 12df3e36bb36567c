"""The Alembic migrations: empty → head → base → head on SQLite and PostgreSQL, and the
migrated schema is the schema the models describe."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, make_url, text
from sqlmodel import SQLModel

import models  # noqa: F401 - registers every table on SQLModel.metadata
from models.db import make_engine
from models.doctext import PG_SEARCH_COLUMN, PG_SEARCH_INDEX, SQLITE_FTS_TABLE
from models.migrate import alembic_config, downgrade, upgrade

PG_URL = os.environ.get("HOP_TEST_DATABASE_URL", "")
# Not the session's test database (the other tests use it), and one per run, so that two
# runs at once do not trip over each other.
PG_DATABASE = f"hop_migrations_test_{os.getpid()}"


def _admin(statement: str) -> None:
    engine = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database of its own, dropped afterwards."""
    if not PG_URL:
        pytest.skip("HOP_TEST_DATABASE_URL is not set")
    _admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{PG_DATABASE}"')
    try:
        yield make_url(PG_URL).set(database=PG_DATABASE).render_as_string(hide_password=False)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    with engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
    engine.dispose()
    return {name for name in names if not _is_sqlite_fts(name)}


def _is_sqlite_fts(name: str) -> bool:
    # The search's FTS5 table on SQLite (and its shadow tables) is made by migration 0012
    # alone: a virtual table is not a model (nor is PostgreSQL's expression index).
    return name == SQLITE_FTS_TABLE or name.startswith(f"{SQLITE_FTS_TABLE}_")


def _about_search_index(difference: Any) -> bool:
    if not isinstance(difference, tuple):
        return False
    kind, item = difference[0], difference[1]
    if kind == "remove_table":
        return _is_sqlite_fts(item.name)
    if kind == "remove_column":  # (kind, schema, table, column)
        return difference[2] == "document_page_text" and difference[3].name == PG_SEARCH_COLUMN
    return kind == "remove_index" and item.name == PG_SEARCH_INDEX


def schema_differences(url: str) -> list[Any]:
    """What autogenerate would change to make the database match the models."""
    engine = make_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences: list[Any] = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return [difference for difference in differences if not _about_search_index(difference)]


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return revision


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


MODEL_TABLES = set(SQLModel.metadata.tables)


def test_there_is_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    upgrade(empty_url)
    assert tables(empty_url) == MODEL_TABLES | {"alembic_version"}
    assert current_revision(empty_url) == revisions()[-1]
    downgrade(empty_url, "base")
    assert tables(empty_url) <= {"alembic_version"}
    assert current_revision(empty_url) is None
    upgrade(empty_url)
    assert tables(empty_url) == MODEL_TABLES | {"alembic_version"}
    assert schema_differences(empty_url) == []


def test_each_step_goes_down_and_up_again(empty_url: str) -> None:
    for revision in revisions():
        upgrade(empty_url, revision)
        downgrade(empty_url, "-1")
        upgrade(empty_url, revision)
        assert current_revision(empty_url) == revision


def test_migrated_schema_matches_the_models(empty_url: str) -> None:
    upgrade(empty_url)
    assert schema_differences(empty_url) == []
