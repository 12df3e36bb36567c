"""Logs: a request id on every line, JSON lines when HOP_LOG_FORMAT=json, secrets kept out.

RequestContext (the outermost middleware) gives each HTTP request and each websocket a request
id: the client's X-Request-ID when it is a short plain token, else a new one, returned in the
response's X-Request-ID header. Websockets get a socket id too. Both live in context
variables, so every line logged while serving them carries them, the server's own access lines
included. `log_config` is the logging configuration `hop serve` hands uvicorn (so uvicorn's
loggers, Hop's and the root follow HOP_LOG_FORMAT), in each worker process.

What is logged never holds ballots, passwords, faces or names: the code logs ids and counts,
URLs lose their query string in JSON (a search may hold a name) and token, password and nonce
parameters are blanked in text (a kiosk's URL carries its device token).
"""

import itertools
import json
import logging
import logging.config
import re
import secrets
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: ContextVar[str | None] = ContextVar("hop_request_id", default=None)
SOCKET_ID: ContextVar[str | None] = ContextVar("hop_socket_id", default=None)

HEADER = "x-request-id"
MAX_ID_LENGTH = 64
# A proxy's or a client's id is taken as it is only when it cannot forge a log line or blow
# one up: letters, digits and a few separators, at most MAX_ID_LENGTH of them.
CLEAN_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{{0,{MAX_ID_LENGTH - 1}}}")
SECRET_PARAMETER = re.compile(
    r"(?i)\b(token|password|passphrase|nonce|secret|code|csrf_token)=([^&\s\"']+)"
)
REDACTED = r"\1=[redacted]"


def clean_request_id(value: str | None) -> str | None:
    """The given id when it is safe to log and to echo, else None."""
    if value is None:
        return None
    value = value.strip()
    return value if CLEAN_ID.fullmatch(value) else None


# Ids only tell lines apart, they guard nothing: a random prefix per process and a counter
# (uuid4 per request read the system's randomness on the event loop: bench.congress).
_PROCESS = secrets.token_hex(6)
_COUNTER = itertools.count(1)


def new_id() -> str:
    return f"{_PROCESS}{next(_COUNTER):020x}"


class RequestContext:
    """Sets REQUEST_ID (and SOCKET_ID for websockets) and answers with X-Request-ID."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope["headers"] if name == HEADER.encode()), None)
        request_id = clean_request_id(given.decode("latin-1") if given else None) or new_id()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (HEADER.encode(), request_id.encode())
        request_token = REQUEST_ID.set(request_id)
        socket_token = SOCKET_ID.set(new_id()[:16]) if scope["type"] == "websocket" else None

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            # A socket's frames go straight through: thousands of them, none needs the header.
            sending = send_with_id if scope["type"] == "http" else send
            await self.app(scope, receive, sending)
        finally:
            REQUEST_ID.reset(request_token)
            if socket_token is not None:
                SOCKET_ID.reset(socket_token)


def redact(text: str) -> str:
    """Blank the values of secret-looking query parameters (tokens, passwords, nonces)."""
    return SECRET_PARAMETER.sub(REDACTED, text) if "=" in text else text


class ContextFilter(logging.Filter):
    """Stamps each record with the request and socket ids and blanks secret parameters."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.socket_id = SOCKET_ID.get()
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def _access_fields(record: logging.LogRecord) -> dict[str, Any] | None:
    """uvicorn's access line, taken apart: (client, method, path, http version, status)."""
    args = record.args
    if record.name != "uvicorn.access" or not isinstance(args, tuple) or len(args) != 5:
        return None
    client, method, path, _version, status = args
    path = str(path).partition("?")[0]  # a query may hold a search for a name, or a token
    return {
        "message": f"{method} {path} {status}",
        "client": client,
        "method": method,
        "path": path,
        "status": status,
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id (and socket_id,
    exception when there are any; method, path, status, client for access lines)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        socket_id = getattr(record, "socket_id", None) or SOCKET_ID.get()
        if socket_id is not None:
            line["socket_id"] = socket_id
        line.update(_access_fields(record) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A readable line, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        return f"{text} [request_id={request_id}]" if request_id else text


FORMATS = ("text", "json")


def json_formatter() -> JsonFormatter:
    """The JSON formatter, with Python's warnings sent through logging: printed as they are
    (a library's deprecation notice at import), they would be lines that are not JSON."""
    logging.captureWarnings(True)
    return JsonFormatter()


def configure(log_format: str) -> None:
    """Apply log_config to this process (`hop` does before importing its commands)."""
    logging.config.dictConfig(log_config(log_format))


def log_config(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    """A logging.config.dictConfig for the server (uvicorn's log_config): Hop's, uvicorn's and
    the root's lines through one formatter, JSON or text."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {FORMATS}")
    formatter = "web.logs.json_formatter" if log_format == "json" else "web.logs.TextFormatter"
    handler = {"class": "logging.StreamHandler", "formatter": "hop", "filters": ["context"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "web.logs.ContextFilter"}},
        "formatters": {"hop": {"()": formatter}},
        "handlers": {
            "default": {**handler, "stream": "ext://sys.stderr"},
            "access": {**handler, "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "hop": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }
