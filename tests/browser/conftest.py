"""Browser tests: a real Hop server (uvicorn in a subprocess) with `hop demo` loaded once, on a
temporary SQLite file or a PostgreSQL database of its own, driven by Debian's Chromium through
Playwright's sync API (never `playwright install`)."""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from bench._servers import free_port, hop_env
from tests.browser.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PASSWORD,
    SECRET_KEY,
    NewContext,
    Server,
    hop,
)
from tests.records.pki import root_ca

HERE = Path(__file__).resolve().parent
PG_URL = os.environ.get("HOP_TEST_DATABASE_URL", "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The screenshots before the other browser tests: they show the demo as `hop demo` loads
    it, before the journeys add meetings and read documents."""
    first = next((i for i, item in enumerate(items) if item.path.is_relative_to(HERE)), None)
    if first is None:
        return
    shots = [item for item in items if item.path.name == "test_screenshots.py"]
    rest = [item for item in items if item.path.name != "test_screenshots.py"]
    items[:] = [*rest[:first], *shots, *rest[first:]]


def _conninfo(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A temporary SQLite file, or a PostgreSQL database made for this run and dropped after."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'hop.db'}"
        return
    # A database of our own, so the other tests' database and parallel runs are left alone.
    admin = make_url(PG_URL)
    name = f"hop_browser_{os.getpid()}"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(_conninfo(admin), autocommit=True) as connection:
        connection.execute(drop)
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_conninfo(admin), autocommit=True) as connection:
            connection.execute(drop)


@pytest.fixture(scope="session")
def server_env(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of every `hop` and server process: only our HOP_ variables."""
    data_dir = tmp_path_factory.mktemp("browser-var")
    # The test CA of tests/records/pki.py, trusted to sign records (test_signing_journey.py).
    root = tmp_path_factory.mktemp("browser-roots") / "hop-test-root.pem"
    root.write_bytes(root_ca().cert.public_bytes(serialization.Encoding.PEM))
    return hop_env(
        database_url,
        data_dir,
        secret_key=SECRET_KEY,
        HOP_DEFAULT_LANGUAGE="vi",
        HOP_TRUST_ROOTS=json.dumps([str(root)]),
    )


@pytest.fixture(scope="session")
def server(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The migrated database with the demo, served until the end of the session."""
    hop(server_env, "migrate")
    hop(server_env, "demo", "--password", PASSWORD)
    log = tmp_path_factory.mktemp("browser-log") / "server.log"
    running = Server(server_env, free_port(), log)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(autouse=True)
def server_alive(request: pytest.FixtureRequest) -> None:
    """A journey that stops the server mid-test and fails before starting it again must not
    fail every later one with refused connections."""
    if "server" in request.fixturenames:
        running: Server = request.getfixturevalue("server")
        if not running.pid_alive():
            running.start()


# Per module, not per session: the sync API keeps its asyncio loop marked as running in this
# thread while Playwright is started (playwright 1.65), so the later non-browser tests that call
# asyncio.run() must find it stopped.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def new_context(browser: Browser, server: Server) -> Iterator[NewContext]:
    """Browser contexts (one per person or device), in Vietnamese unless told otherwise."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        settings: dict[str, Any] = {
            "base_url": server.url,
            "viewport": DESKTOP,
            "locale": "vi-VN",
            "timezone_id": "Asia/Ho_Chi_Minh",
            **options,
        }
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, installed with npm into tests/browser/node_modules when missing."""
    script = HERE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is missing: install Debian's npm package to run the axe-core checks")
        subprocess.run(
            [npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"],
            check=True,
            timeout=300,
        )
    return script.read_text(encoding="utf-8")
