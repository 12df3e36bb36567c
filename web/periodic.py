"""Background rounds of blocking work while the server runs (poll deadlines, reminders)."""

import asyncio
import contextlib
import logging
from collections.abc import Callable

log = logging.getLogger("hop.periodic")


class Periodic:
    """Runs `work` in a thread every `interval` seconds until stopped.

    Stopping waits for a round in progress instead of cancelling it: the round runs in a
    thread that a cancellation would not stop, and it must give its connection back before
    the lifespan disposes of the engine. A failed round is logged and the next one runs:
    a database hiccup must not end the task for the server's lifetime.
    """

    def __init__(self, name: str, interval: float, work: Callable[[], object]) -> None:
        self.name = name
        self.interval = interval
        self.work = work
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> "Periodic":
        self._task = asyncio.create_task(self._run(), name=f"hop-{self.name}")
        return self

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.work)
            except Exception:
                log.exception("The %s round failed", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
