"""An ASGI middleware: security headers, a request size cap, and the CSRF cookie."""

import json
import secrets
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.auth import CSRF_COOKIE

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
    "frame-src 'self'; object-src 'self'; frame-ancestors 'self'; base-uri 'self'; "
    "form-action 'self'"
)
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(self), microphone=(), geolocation=()",
    "content-security-policy": CONTENT_SECURITY_POLICY,
}
NO_STORE = "no-store"
# Form fields and multipart overhead beyond the file itself.
SLACK_BYTES = 1024 * 1024


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes + SLACK_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = MutableHeaders(scope=scope)
        if _too_large(headers.get("content-length"), self.max_body_bytes):
            await _reject_too_large(send, self.max_body_bytes - SLACK_BYTES)
            return
        csrf = _cookie(headers.get("cookie"), CSRF_COOKIE)
        fresh = csrf is None
        token = csrf or secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token
        secure = scope.get("scheme") == "https"
        is_api = str(scope.get("path", "")).startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    out.setdefault(name, value)
                if is_api or out.get("content-type", "").startswith("text/html"):
                    # Pages and API answers may show personal data: after logout, Back must
                    # not show them from the cache. A response that says otherwise keeps it.
                    out.setdefault("cache-control", NO_STORE)
                already = any(
                    value.startswith(f"{CSRF_COOKIE}=") for value in out.getlist("set-cookie")
                )
                if fresh and not already:
                    flags = "; Secure" if secure else ""
                    out.append(
                        "set-cookie",
                        f"{CSRF_COOKIE}={token}; HttpOnly; Path=/; SameSite=Strict{flags}",
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _too_large(length: str | None, limit: int) -> bool:
    return length is not None and length.isdigit() and int(length) > limit


async def _reject_too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "error": "PayloadTooLargeError",
            "detail": f"The request is larger than the limit of {limit // (1024 * 1024)} MB",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *((name.encode(), value.encode()) for name, value in HEADERS.items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None
