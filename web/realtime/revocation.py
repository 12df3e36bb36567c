"""Open sockets follow their credentials: a revoked device token or an ended login closes them.

A socket is authenticated once, at the handshake, and may stay open for hours; revoking a
stolen kiosk's token must not wait for it to reconnect. Each process checks the credentials
behind its own open sockets against the database once a second (one query for all of them),
so a revocation made by any process or host (or straight in the database) closes the
sockets within about a second, with or without Redis. Once a minute the same pass marks the
devices with an open socket as seen, so the devices page tells a projector that has been on
for hours from one that went dark.
"""

import asyncio
import logging
import time
from collections.abc import Iterable

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from models import DeviceToken, LoginSession
from models.base import as_utc, utcnow
from models.db import open_session
from web.auth import SEEN_EVERY
from web.sockets import Credential, Revocable
from web.state import AppState, SocketWatch

log = logging.getLogger("hop.revocation")
CHUNK = 500  # bound the size of each IN (...) list


class RevocationWatch:
    """The open sockets per credential, checked together at an interval."""

    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self._sockets: dict[Credential, set[Revocable]] = {}
        self._seen_at = 0.0  # time.monotonic() of the last "seen" mark

    def watch(self, credential: Credential, socket: Revocable) -> None:
        self._sockets.setdefault(credential, set()).add(socket)

    def forget(self, credential: Credential, socket: Revocable) -> None:
        sockets = self._sockets.get(credential)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[credential]

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # a database hiccup must not end the watch
                log.exception("checking socket credentials failed")

    async def check(self) -> int:
        """Close the sockets whose credential is no longer valid; how many were closed."""
        if not self._sockets:
            return 0
        mark_seen = time.monotonic() - self._seen_at >= SEEN_EVERY.total_seconds()
        if mark_seen:
            self._seen_at = time.monotonic()
        revoked = await run_in_threadpool(
            invalid_credentials, self.engine, list(self._sockets), mark_seen=mark_seen
        )
        closed = 0
        for credential in revoked:
            for socket in tuple(self._sockets.pop(credential, ())):
                socket.revoke()
                closed += 1
        return closed


def invalid_credentials(
    engine: Engine, credentials: list[Credential], *, mark_seen: bool = False
) -> set[Credential]:
    """Those no longer valid: revoked or deleted devices, ended or expired logins (blocking).
    With `mark_seen`, the live devices are marked as seen now."""
    devices = {int(c.key): c for c in credentials if c.kind == "device"}
    sessions = {c.key: c for c in credentials if c.kind == "session"}
    # A check cancelled at shutdown goes on in its thread: open_session copes.
    with open_session(engine) as session:
        live_devices = set(_live_devices(session, list(devices)))
        live_sessions = set(_live_sessions(session, list(sessions)))
        if mark_seen and live_devices:
            _mark_seen(session, sorted(live_devices))
    return {c for key, c in devices.items() if key not in live_devices} | {
        c for key, c in sessions.items() if key not in live_sessions
    }


def _live_devices(session: Session, ids: list[int]) -> Iterable[int]:
    for start in range(0, len(ids), CHUNK):
        query = select(DeviceToken.id).where(
            col(DeviceToken.id).in_(ids[start : start + CHUNK]),
            col(DeviceToken.revoked_at).is_(None),
        )
        yield from (int(device_id or 0) for device_id in session.exec(query))


def _mark_seen(session: Session, ids: list[int]) -> None:
    now = utcnow()
    stale = or_(
        col(DeviceToken.last_seen_at).is_(None), col(DeviceToken.last_seen_at) < now - SEEN_EVERY
    )
    for start in range(0, len(ids), CHUNK):
        chosen = col(DeviceToken.id).in_(ids[start : start + CHUNK])
        session.exec(update(DeviceToken).where(chosen, stale).values(last_seen_at=now))
    session.commit()


def _live_sessions(session: Session, hashes: list[str]) -> Iterable[str]:
    now = utcnow()
    for start in range(0, len(hashes), CHUNK):
        query = select(LoginSession.token_hash, LoginSession.expires_at).where(
            col(LoginSession.token_hash).in_(hashes[start : start + CHUNK])
        )
        yield from (key for key, expires in session.exec(query) if as_utc(expires) >= now)


def watch_of(state: AppState | None) -> SocketWatch | None:
    """The app's watch; None for a connection built without an app (unit tests)."""
    return state.revocation if state is not None else None
