"""Browser tests: a real Hop server (uvicorn in a subprocess) with `hop demo` loaded once, on a
temporary SQLite file or a PostgreSQL database of its own, driven by Debian's Chromium through
Playwright's sync API (never `playwright install`)."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright
from psycopg import sql
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-dev-shm-usage",
]
PG_URL = os.environ.get("HOP_TEST_DATABASE_URL", "")
PASSWORD = "browser-demo-2026"
SECRET_KEY = "browser-test-secret-key-0123456789-abcdefghij"
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 1024, "height": 768}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The screenshots before the other browser tests: they show the demo as `hop demo` loads
    it, before the journeys add meetings and read documents."""
    first = next((i for i, item in enumerate(items) if item.path.is_relative_to(HERE)), None)
    if first is None:
        return
    shots = [item for item in items if item.path.name == "test_screenshots.py"]
    rest = [item for item in items if item.path.name != "test_screenshots.py"]
    items[:] = [*rest[:first], *shots, *rest[first:]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """A uvicorn process serving Hop on a fixed port; it can be stopped and started again."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env = env
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ws",
            "websockets-sansio",
            "--log-level",
            "warning",
        ]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"the server did not answer on {self.url}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


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
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOP_")}
    env.update(
        HOP_DATABASE_URL=database_url,
        HOP_DATA_DIR=str(tmp_path_factory.mktemp("browser-var")),
        HOP_SECRET_KEY=SECRET_KEY,
        HOP_DEFAULT_LANGUAGE="vi",
    )
    return env


def _hop(env: dict[str, str], *args: str) -> None:
    command = [sys.executable, "-c", "from web.cli import main; main()", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"hop {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def server(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The migrated database with the demo, served until the end of the session."""
    _hop(server_env, "migrate")
    _hop(server_env, "demo", "--password", PASSWORD)
    log = tmp_path_factory.mktemp("browser-log") / "server.log"
    running = Server(server_env, free_port(), log)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


NewContext = Callable[..., BrowserContext]


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
