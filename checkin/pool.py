"""The face process pool: CPU-bound face work off the event loop, with bounded admission.

Workers load dlib's models once (the initializer). At most `max_pending` jobs are admitted at
a time (running or queued); beyond that `submit` raises FacePoolBusyError (503) at once,
so a burst of frames is refused instead of queueing up behind the cameras. Jobs are pure
functions: bytes in, arrays out (checkin.engine).

Workers are started with "spawn" by default: forking a server that runs threads (uvicorn,
the event loop's executor) can copy a held lock into the child and hang it.
"""

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ParamSpec, TypeVar

from checkin import engine
from checkin.errors import FacePoolBusyError, FacePoolClosedError

P = ParamSpec("P")
T = TypeVar("T")


def _ready() -> int:
    return os.getpid()


class FacePool:
    """A process pool for face work with a bound on admitted jobs."""

    def __init__(
        self,
        *,
        workers: int | None = None,
        max_pending: int | None = None,
        start_method: str = "spawn",
        initializer: Callable[[], None] | None = engine.load_models,
    ) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.max_pending = max(1, max_pending or 2 * self.workers)
        self._context = multiprocessing.get_context(start_method)
        self._initializer = initializer
        self._lock = threading.Lock()
        self._pending = 0
        self._closed = False
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=self._context, initializer=self._initializer
        )

    @property
    def pending(self) -> int:
        """Jobs admitted and not finished yet."""
        return self._pending

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> "Future[T]":
        """Run fn(*args) in a worker; FacePoolBusyError when max_pending jobs are in flight."""
        self._admit()
        executor = self._executor
        try:
            future = executor.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            self._release()
            self._restart(executor)
            raise FacePoolBusyError("The face engine restarted; try again") from None
        except BaseException:
            self._release()
            raise
        future.add_done_callback(self._on_done)
        return future

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Await fn(*args) from a worker without blocking the event loop."""
        # Like loop.run_in_executor, but admission is counted on the worker's own future: a
        # cancelled await does not free a slot while its job still runs in a worker.
        executor = self._executor
        future = self.submit(fn, *args)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._restart(executor)
            raise FacePoolBusyError("The face engine restarted; try again") from None

    def warm_up(self, timeout: float = 120.0) -> None:
        """Start every worker and wait until its models are loaded."""
        futures = [self._executor.submit(_ready) for _ in range(self.workers)]
        for future in futures:
            future.result(timeout=timeout)

    def close(self, *, wait: bool = True) -> None:
        """Refuse new jobs, cancel queued ones and stop the workers."""
        with self._lock:
            self._closed = True
        self._executor.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> "FacePool":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _admit(self) -> None:
        with self._lock:
            if self._closed:
                raise FacePoolClosedError("The face engine is shutting down")
            if self._pending >= self.max_pending:
                raise FacePoolBusyError("The face engine is busy; try again in a moment")
            self._pending += 1

    def _release(self) -> None:
        with self._lock:
            self._pending -= 1

    def _on_done(self, _future: "Future[Any]") -> None:
        self._release()

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        # A worker died (dlib crashed, or the OOM killer): that executor is unusable for good.
        with self._lock:
            if self._closed or self._executor is not broken:
                return  # shutting down, or another job already replaced it
            self._executor = self._new_executor()
        broken.shutdown(wait=False, cancel_futures=True)
