"""Logs: every request and socket has a request id (echoed in X-Request-ID), JSON lines that
parse and carry it with HOP_LOG_FORMAT=json, secrets blanked, and `hop serve` logs so."""

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient

from web.logs import ContextFilter, JsonFormatter, clean_request_id, log_config, redact

log = logging.getLogger("hop.test")


@pytest.fixture
def json_caplog(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog writing what the server writes with HOP_LOG_FORMAT=json."""
    caplog.set_level(logging.DEBUG)
    caplog.handler.setFormatter(JsonFormatter())
    caplog.handler.addFilter(ContextFilter())
    return caplog


def lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """Every captured line, each of which must be one JSON object."""
    return [json.loads(line) for line in caplog.text.splitlines() if line.strip()]


@pytest.fixture
def logging_app(app: FastAPI) -> FastAPI:
    """The app with a route and a socket that log, and a route that fails."""

    @app.get("/test/log")
    def say() -> dict[str, str]:
        log.info("handled the test route")
        return {}

    @app.get("/test/fail")
    def fail() -> None:
        raise RuntimeError("the test route failed")

    @app.websocket("/test/ws")
    async def socket_route(websocket: WebSocket) -> None:
        await websocket.accept()
        log.info("socket says hello")
        await websocket.send_text("hi")
        await websocket.close()

    return app


@pytest.fixture
def logging_client(logging_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(logging_app) as test_client:
        yield test_client


def test_a_request_id_is_made_and_returned(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert len(first) == 32
    assert first != second


def test_a_clean_given_id_is_echoed_and_a_bad_one_replaced(client: TestClient) -> None:
    given = "req-42.abc:7/x"
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["x-request-id"] == given
    for bad in ('"}{"level": "forged', "x" * 65, "a b", "<script>"):
        answered = client.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"]
        assert answered != bad
        assert len(answered) == 32


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("abc-123", "abc-123"),
        ("  abc  ", "abc"),
        ("", None),
        (None, None),
        ("x" * 64, "x" * 64),
        ("x" * 65, None),
        ("a\nb", None),
        ("-starts-with-dash", None),
    ],
)
def test_clean_request_id(given: str | None, kept: str | None) -> None:
    assert clean_request_id(given) == kept


def test_json_lines_parse_and_carry_the_request_id(
    logging_client: TestClient, json_caplog: pytest.LogCaptureFixture
) -> None:
    response = logging_client.get("/test/log", headers={"X-Request-ID": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"
    failed = logging_client.get("/test/fail", headers={"X-Request-ID": "trace-43"})
    assert failed.status_code == 500
    found = lines(json_caplog)
    said = next(line for line in found if line["message"] == "handled the test route")
    assert said["request_id"] == "trace-42"
    assert said["level"] == "INFO"
    assert said["logger"] == "hop.test"
    assert said["time"].endswith("+00:00")
    error = next(line for line in found if line["request_id"] == "trace-43")
    assert error["level"] == "ERROR"
    assert "the test route failed" in error["exception"]


def test_a_socket_line_carries_its_socket_id(
    logging_client: TestClient, json_caplog: pytest.LogCaptureFixture
) -> None:
    with logging_client.websocket_connect("/test/ws", headers={"X-Request-ID": "sock-1"}) as ws:
        assert ws.receive_text() == "hi"
    said = next(line for line in lines(json_caplog) if line["message"] == "socket says hello")
    assert said["request_id"] == "sock-1"
    assert len(said["socket_id"]) == 16


@pytest.mark.nodb
def test_secret_parameters_are_blanked() -> None:
    text = redact('127.0.0.1 - "WebSocket /ws/kiosk/3?token=AbC_12-x&lang=vi" [accepted]')
    assert "AbC_12-x" not in text
    assert "token=[redacted]&lang=vi" in text
    assert redact("password=hunter2 nonce=abc") == "password=[redacted] nonce=[redacted]"


@pytest.mark.nodb
def test_access_lines_lose_their_query_string() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.9:5000", "GET", "/room/3/search?q=Nguyen+Van+A", "1.1", 200),
        None,
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/room/3/search"
    assert line["status"] == 200
    assert "Nguyen" not in json.dumps(line)


@pytest.mark.nodb
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_server_config_applies(log_format: str) -> None:
    """What `hop serve` hands uvicorn, applied in a fresh interpreter."""
    code = (
        "import logging, logging.config; from web.logs import log_config; "
        f"logging.config.dictConfig(log_config({log_format!r})); "
        "logging.getLogger('hop.x').info('hello %s', 'there'); "
        "logging.getLogger('some.library').warning('careful')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    said = done.stderr.splitlines()
    if log_format == "json":
        parsed = [json.loads(line) for line in said]
        assert [(line["logger"], line["message"]) for line in parsed] == [
            ("hop.x", "hello there"),
            ("some.library", "careful"),
        ]
    else:
        assert said[0].endswith("INFO hop.x: hello there")
        assert said[1].endswith("WARNING some.library: careful")


@pytest.mark.nodb
def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log format"):
        log_config("xml")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx2.get(url, timeout=1)
            return
        except httpx2.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


@pytest.mark.slow
def test_hop_serve_logs_json_lines(cli_env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, **cli_env, "HOP_LOG_FORMAT": "json", "HOP_DRAIN_SECONDS": "0"}
    hop = Path(sys.executable).with_name("hop")
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            [str(hop), "serve", "--port", str(port)], env=env, stdout=stdout, stderr=stderr
        )
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz")
            answer = httpx2.get(
                f"http://127.0.0.1:{port}/healthz?token=do-not-log-me",
                headers={"X-Request-ID": "serve-1"},
            )
            assert answer.headers["x-request-id"] == "serve-1"
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    written = [line for line in (out.read_text() + err.read_text()).splitlines() if line]
    parsed = [json.loads(line) for line in written]  # every line one JSON object
    access = next(line for line in parsed if line.get("request_id") == "serve-1")
    assert access["logger"] == "uvicorn.access"
    assert access["path"] == "/healthz"
    assert access["status"] == 200
    assert any(line["logger"].startswith("uvicorn") for line in parsed if line is not access)
    assert "do-not-log-me" not in "\n".join(written)
