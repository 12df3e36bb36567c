"""Bounded concurrency for HTTP requests.

A request may hold a pooled database connection while it waits for a worker thread (FastAPI
runs sync dependencies and routes in threads). With more requests in flight than connections,
the threads can all end up waiting for connections held by requests that wait for threads: a
30-second stall. Admitting at most as many requests as the pool has connections rules that out;
the others wait here, on the event loop, holding nothing.
"""

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

# The probes hold no request connection (web.health) and must answer while requests queue.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz"})


class ConcurrencyLimit:
    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self._slots = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        async with self._slots:
            await self.app(scope, receive, send)
