"""The fixtures every test folder shares.

Each test gets a migrated database of its own: a copy of a template on SQLite, or the
PostgreSQL test database emptied (HOP_TEST_DATABASE_URL) - and a data folder of its own.
Service tests get a plain `session` on that database; tests that drive the app ask for
`client`, whose lifespan runs on the same database. Data is built with tests/factories.py.
"""

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

import meetings.passwords
from models import Meeting, Person, Role
from models.db import make_engine
from models.migrate import upgrade
from tests.faces import FACES, missing_faces
from tests.factories import (
    PG_URL,
    REDIS_URL,
    Room,
    empty_postgres,
    login,
    make_meeting,
    make_room,
    make_user,
    reset_postgres,
)
from web.app import create_app
from web.settings import Settings

# Real argon2 parameters cost ~50 ms a hash; tests need the behaviour, not the cost.
meetings.passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


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


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    if PG_URL:
        empty_postgres(PG_URL)
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
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's database, made as the app makes its own, without the app."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A plain session for service tests; it starts no app (ask for `client` for that)."""
    with Session(engine, expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def clerk(session: Session) -> Person:
    """A member of the secretariat: creates the meetings, manages people and documents."""
    return make_user(session, role=Role.secretariat, full_name="Trần Thị Thư Ký")


@pytest.fixture
def clerk_client(client: TestClient, clerk: Person) -> TestClient:
    """The client, logged in as the clerk."""
    return login(client, clerk)


@pytest.fixture
def meeting(session: Session, clerk: Person) -> Meeting:
    """A draft meeting in three days, created by the clerk, with one agenda item."""
    return make_meeting(session, creator=clerk)


@pytest.fixture
def room(session: Session) -> Room:
    """Five delegates and the chair, all with a voting right and checked in."""
    return make_room(session)


@pytest.fixture(scope="session")
def faces() -> Path:
    """The face photos; when they are missing every test that needs them fails with one
    message (a skip would let CI pass without ever checking a face)."""
    problem = missing_faces()
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    return FACES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    for the rest of the session, and tests that call asyncio.run() cannot follow it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
