"""GET /metrics: this process's metrics in Prometheus' text format, for operators only.

A client address in HOP_METRICS_ALLOW (loopback by default) reads them as it is; any other
needs `Authorization: Bearer <HOP_METRICS_TOKEN>`. Without a token the answer is 401, with a
wrong one (or when no token is set) 403, and never a metric. The address is the one uvicorn
sees: a trusted proxy's X-Forwarded-For is already applied (`--forwarded-allow-ips`), so a
request passed on by the local proxy is judged by its real client's address.
"""

import hmac
import ipaddress
from dataclasses import dataclass
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from web.auth import bearer_token, client_address
from web.deps import get_state, language_of
from web.errors import say_error
from web.metrics import LIVE, REGISTRY
from web.settings import Settings

router = APIRouter()

TOKEN_REQUIRED = "The metrics need a token: Authorization: Bearer and the HOP_METRICS_TOKEN"
TOKEN_WRONG = "The metrics token is wrong"
NOT_ALLOWED = "The metrics are served only to the addresses in HOP_METRICS_ALLOW"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Refusal:
    status: int
    error: str
    detail: str


@cache
def _networks(allowed: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed)


def address_allowed(address: str, allowed: list[str]) -> bool:
    """Whether the client's address lies in one of the allowed networks."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # not an address (a test client, a unix socket): only a token lets it in
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _networks(tuple(allowed)))


def refusal(settings: Settings, address: str, token: str | None) -> Refusal | None:
    """Why this client may not read the metrics, or None when it may."""
    if address_allowed(address, settings.metrics_allow):
        return None
    expected = settings.metrics_token
    if expected and token is not None:
        if hmac.compare_digest(token.encode(), expected.encode()):
            return None
        return Refusal(403, "PermissionDeniedError", TOKEN_WRONG)
    if expected:
        return Refusal(401, "NotAuthenticatedError", TOKEN_REQUIRED)
    return Refusal(403, "PermissionDeniedError", NOT_ALLOWED)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus' text format, rendered in a thread: thousands of lines would hold the event
    loop for tens of milliseconds. The socket counts are read first, on the loop."""
    settings = get_state(request).settings
    refused = refusal(settings, client_address(request), bearer_token(request))
    if refused is not None:
        return _refuse(request, refused)
    LIVE.refresh()
    body = await run_in_threadpool(generate_latest, REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _refuse(request: Request, refused: Refusal) -> Response:
    gettext = get_state(request).translator.gettext(language_of(request))
    body = {
        "error": refused.error,
        "detail": refused.detail,
        "message": say_error(refused.detail, refused.status, gettext),
    }
    headers = {"WWW-Authenticate": "Bearer"} if refused.status == 401 else None
    return JSONResponse(body, status_code=refused.status, headers=headers)
