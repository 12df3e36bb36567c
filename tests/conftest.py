"""Each test gets a migrated database of its own: a copy of a template on SQLite, or the
PostgreSQL test database emptied (HOP_TEST_DATABASE_URL) - and a data folder of its own."""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import meetings.passwords
from models.db import make_engine
from models.migrate import upgrade
from web.app import create_app
from web.settings import Settings

# Real argon2 parameters cost ~50 ms a hash; tests need the behaviour, not the cost.
meetings.passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

PG_URL = os.environ.get("HOP_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("HOP_TEST_REDIS_URL", "")
FACES = Path(__file__).resolve().parent.parent.parent / "shared" / "faces"


def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head once per test session."""
    if PG_URL:
        reset_postgres(PG_URL)
        upgrade(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "hop.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    if PG_URL:
        _empty_postgres(PG_URL)
        return PG_URL
    target = tmp_path / "hop.db"
    shutil.copyfile(database_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        max_upload_mb=2,
        redis_url=REDIS_URL or None,
        redis_channel=f"hop:test:{uuid.uuid4().hex}",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a `hop` command the test's settings."""
    return {
        "HOP_DATABASE_URL": settings.resolved_database_url,
        "HOP_DATA_DIR": str(settings.data_dir),
        "HOP_SECRET_KEY": settings.secret_key,
        "HOP_MAX_UPLOAD_MB": str(settings.max_upload_mb),
    }


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def engine(client: TestClient) -> Engine:
    engine: Engine = client.app.state.hop.engine  # type: ignore[attr-defined]
    return engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as db_session:
        yield db_session


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    for the rest of the session, and tests that call asyncio.run() cannot follow it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
