"""`hop serve --workers N`: more than one process only on PostgreSQL with Redis; the server is
started with a graceful shutdown timeout (the drain comes before it, web.drain)."""

from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app as hop
from cli.serve import GRACEFUL_SECONDS

pytestmark = pytest.mark.nodb

runner = CliRunner()
SECRET = "the-cli-tests-secret-key-long-enough-0123456789"
PG = "postgresql://hop@127.0.0.1:5432/hop"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What uvicorn.run was called with (it is not really started)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: calls.append(options))
    return calls


def env(tmp_path: Any, **settings: str) -> dict[str, str]:
    base = {"HOP_SECRET_KEY": SECRET, "HOP_DATA_DIR": str(tmp_path), "HOP_DATABASE_URL": ""}
    return base | {"HOP_REDIS_URL": ""} | settings


@pytest.mark.parametrize(
    ("settings", "missing"),
    [
        ({}, "PostgreSQL and Redis"),
        ({"HOP_REDIS_URL": "redis://127.0.0.1:6379/0"}, "PostgreSQL."),
        ({"HOP_DATABASE_URL": PG}, "Redis."),
    ],
)
def test_several_workers_are_refused_without_postgresql_and_redis(
    tmp_path: Any, served: list[dict[str, Any]], settings: dict[str, str], missing: str
) -> None:
    result = runner.invoke(hop, ["serve", "--workers", "2"], env=env(tmp_path, **settings))
    assert result.exit_code == 2
    assert "--workers 2 needs PostgreSQL" in result.output
    assert f"Missing: {missing}" in result.output
    assert served == []


def test_several_workers_on_postgresql_and_redis_are_served(
    tmp_path: Any, served: list[dict[str, Any]]
) -> None:
    settings = env(tmp_path, HOP_DATABASE_URL=PG, HOP_REDIS_URL="redis://127.0.0.1:6379/0")
    result = runner.invoke(hop, ["serve", "--workers", "3"], env=settings)
    assert result.exit_code == 0, result.output
    assert served[0]["workers"] == 3
    assert served[0]["timeout_graceful_shutdown"] == GRACEFUL_SECONDS


def test_one_worker_on_sqlite_is_served(tmp_path: Any, served: list[dict[str, Any]]) -> None:
    result = runner.invoke(hop, ["serve"], env=env(tmp_path))
    assert result.exit_code == 0, result.output
    assert served[0]["workers"] == 1


def test_no_workers_is_refused(tmp_path: Any, served: list[dict[str, Any]]) -> None:
    result = runner.invoke(hop, ["serve", "--workers", "0"], env=env(tmp_path))
    assert result.exit_code == 2
    assert served == []
