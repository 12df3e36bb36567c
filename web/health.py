"""Liveness and readiness, for the reverse proxy and orchestrators.

/healthz: the process answers (no database, nothing that can queue: a busy process is alive).
/readyz: this process can serve: the database answers, Redis (when configured) answers and
the hub listens to it, the face pool takes jobs, and the process is not draining (web.drain).
200 with each check's status, or 503 naming the failed one. The answers say "ok", "off",
"failed" or "timeout" only: reasons go to the log, not to whoever asks.
"""

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import Engine

from web.state import AppState

log = logging.getLogger("hop.health")
router = APIRouter(tags=["health"])

CHECK_TIMEOUT = 2.0  # seconds per check; a probe must answer well within the proxy's timeout
Checks = dict[str, str]


def _select_one(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


async def check_database(state: AppState) -> str:
    # asyncio's own threads, not the request threads: a probe must not queue behind a burst.
    try:
        await asyncio.wait_for(asyncio.to_thread(_select_one, state.engine), CHECK_TIMEOUT)
    except TimeoutError:
        return "timeout"
    except Exception as error:
        log.warning("readiness: the database failed: %s", error)
        return "failed"
    return "ok"


async def check_redis(state: AppState) -> str:
    ready = await state.hub.redis_ready(CHECK_TIMEOUT)
    if ready is None:
        return "off"
    return "ok" if ready else "failed"


def check_faces(state: AppState) -> str:
    faces = state.faces
    return "ok" if faces is not None and faces.pool.usable else "failed"


async def readiness(state: AppState) -> tuple[bool, dict[str, Any]]:
    """Whether this process is ready, and the answer to give."""
    if state.drain is not None and state.drain.draining:
        return False, {"status": "draining"}
    database, redis = await asyncio.gather(check_database(state), check_redis(state))
    checks: Checks = {"database": database, "redis": redis, "faces": check_faces(state)}
    ready = all(value in {"ok", "off"} for value in checks.values())
    return ready, {"status": "ready" if ready else "unready", "checks": checks}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the process answers (for the proxy's liveness; nothing else is checked)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready, or draining"}})
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: database, Redis when configured, face pool; 503 while draining."""
    state: AppState = request.app.state.hop
    ready, answer = await readiness(state)
    return JSONResponse(answer, status_code=200 if ready else 503)
