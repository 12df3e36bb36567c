"""Draining on SIGTERM: a process that is being stopped hands its screens to the others.

uvicorn, on SIGTERM, at once closes its listening socket, closes every websocket with 1012
and waits for the requests in flight. Behind a proxy that is too abrupt: the proxy still sends
new requests for a moment, and a ballot being written loses its acknowledgement. So SIGTERM
first goes through here:

1. /readyz answers 503 at once (web.health), so that the proxy's health check takes this
   process out of its pool; everything keeps working meanwhile;
2. after `delay` (HOP_DRAIN_SECONDS) every meeting socket is told to reconnect elsewhere: a
   {"type": "reconnect"} message, the answers in flight (ballots) sent, then close code 1012;
3. once the sockets are gone (or after SETTLE_SECONDS), uvicorn's own shutdown runs: it
   finishes the HTTP requests in flight, then the lifespan writes the ballots still queued.

A second SIGTERM skips the wait. Outside uvicorn's main thread (TestClient, other servers)
nothing is installed and SIGTERM keeps its own behaviour.
"""

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from web.hub import Hub

log = logging.getLogger("hop.drain")

SETTLE_SECONDS = 10.0  # how long the sockets have to go once told to reconnect
SignalHandler = Callable[[int, FrameType | None], Any]


class Drain:
    """The draining state of this process and the SIGTERM handler that starts it."""

    def __init__(self, hub: Hub, delay: float, settle: float = SETTLE_SECONDS) -> None:
        self.hub = hub
        self.delay = delay
        self.settle = settle
        self.draining = False
        self._previous: SignalHandler | None = None
        self._task: asyncio.Task[None] | None = None

    def install(self) -> bool:
        """Take SIGTERM over from the server (uvicorn's handler runs after the drain)."""
        if threading.current_thread() is not threading.main_thread():
            return False
        previous = signal.getsignal(signal.SIGTERM)
        if not callable(previous):
            return False  # not under uvicorn: leave the default (or ignored) signal alone
        loop = asyncio.get_running_loop()

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self.draining:  # asked twice: stop without waiting any longer
                previous(signum, frame)
                return
            loop.call_soon_threadsafe(self.begin, lambda: previous(signum, frame))

        self._previous = previous
        signal.signal(signal.SIGTERM, on_sigterm)
        return True

    def uninstall(self) -> None:
        if self._previous is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._previous)
            self._previous = None
        if self._task is not None:
            self._task.cancel()

    def begin(self, then: Callable[[], None] = lambda: None) -> None:
        """Start draining (on the event loop); `then` stops the server when it is done."""
        if self.draining:
            return
        self.draining = True
        log.warning("draining: readiness is 503, sockets move in %.1f s", self.delay)
        self._task = asyncio.create_task(self._run(then))

    async def _run(self, then: Callable[[], None]) -> None:
        try:
            await asyncio.sleep(self.delay)
            self.hub.reconnect_all()
            await self._sockets_gone()
        finally:
            then()

    async def _sockets_gone(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle
        while self.hub.client_count() and loop.time() < deadline:
            await asyncio.sleep(0.05)
        if self.hub.client_count():
            log.warning("draining: %d sockets still open, stopping", self.hub.client_count())
