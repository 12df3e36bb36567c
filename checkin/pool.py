"""The face process pool: CPU-bound face work off the event loop, shared fairly among kiosks.

Workers load dlib's models once (the initializer). Jobs are pure functions: bytes in, arrays
out (checkin.engine). Each job belongs to a key (a kiosk; None for everything else):

- Admission: at most `max_pending` jobs are admitted at a time (running or waiting), and one
  key at most its share, max(1, max_pending // active keys). Beyond that `submit` raises
  FacePoolBusyError (503) at once, so a burst of frames is refused instead of queueing up
  behind the cameras. A key under its share that finds the pool full takes the place of the
  oldest waiting job of the key most over its share (that job fails with FacePoolBusyError):
  the newest frame wins, and a kiosk that arrives late is not shut out by a greedy one (when
  the greedy one's jobs all run already, the late kiosk's first job is let in over the bound).
- Dispatch: only as many jobs as workers are handed to the executor; the others wait here,
  one queue per key, and a free worker takes the oldest job of the key with the fewest jobs
  in the workers, served longest ago (round robin). A kiosk streaming as fast as it can gets
  one job in N when N kiosks are waiting, never the whole pool. A dispatcher thread hands the
  jobs over, so nothing is submitted from the executor's own management thread (where a
  crashed worker is reported).

Workers are started with "spawn" by default: forking a server that runs threads (uvicorn,
the event loop's executor) can copy a held lock into the child and hang it.
"""

import asyncio
import contextlib
import multiprocessing
import os
import threading
from collections import Counter, deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from checkin import engine
from checkin.errors import FacePoolBusyError, FacePoolClosedError
from core.processes import worker_pool

P = ParamSpec("P")
T = TypeVar("T")
Key = Hashable | None
MAX_REMEMBERED_KEYS = 256  # keys whose last turn is kept for the round robin


def _ready() -> int:
    return os.getpid()


def _restarted() -> FacePoolBusyError:
    return FacePoolBusyError("The face engine restarted; try again")


@dataclass(eq=False)
class _Job:
    key: Key
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: "Future[Any]" = field(default_factory=Future)
    released: bool = False  # its admission is given back (once, whatever the outcome)


class _Waiting:
    """Waiting jobs, one FIFO per key (not thread-safe: the pool's lock guards it)."""

    def __init__(self) -> None:
        self._jobs: dict[Key, deque[_Job]] = {}

    def __len__(self) -> int:
        return len(self._jobs)  # keys with a waiting job: non-zero when any job waits

    def keys(self) -> list[Key]:
        return list(self._jobs)

    def put(self, job: _Job) -> None:
        self._jobs.setdefault(job.key, deque()).append(job)

    def count(self, key: Key) -> int:
        return len(self._jobs.get(key, ()))

    def pop(self, key: Key) -> _Job:
        """The key's oldest waiting job (the caller checked it has one)."""
        job = self._jobs[key].popleft()
        if not self._jobs[key]:
            del self._jobs[key]
        return job

    def remove(self, job: _Job) -> None:
        jobs = self._jobs.get(job.key)
        if jobs is not None and job in jobs:
            jobs.remove(job)
            if not jobs:
                del self._jobs[job.key]

    def clear(self) -> list[_Job]:
        jobs = [job for queue in self._jobs.values() for job in queue]
        self._jobs.clear()
        return jobs


class FacePool:
    """A process pool for face work: bounded admission, fair turns among keys (kiosks)."""

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
        self._lock = threading.Condition()
        self._admitted: Counter[Key] = Counter()  # key -> jobs running or waiting
        self._waiting = _Waiting()
        self._running: Counter[Key] = Counter()  # key -> jobs in the executor
        self._turns = 0  # jobs dispatched so far: the clock of the round robin
        self._served: dict[Key, int] = {}  # key -> the turn of its last dispatched job
        self._closed = False
        self._broken: ProcessPoolExecutor | None = None  # to replace (a worker died)
        self._executor = self._new_executor()
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop, name="face-pool-dispatch", daemon=True
        )
        self._dispatcher.start()

    def _new_executor(self) -> ProcessPoolExecutor:
        return worker_pool(self.workers, self._context, self._initializer)

    @property
    def pending(self) -> int:
        """Jobs admitted and not finished yet."""
        with self._lock:
            return self._admitted.total()

    @property
    def usable(self) -> bool:
        """Taking jobs: not closed, and the dispatcher (which also replaces a broken worker
        pool) running. Workers start on first use, so an idle pool is usable."""
        return not self._closed and self._dispatcher.is_alive()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> "Future[T]":
        """Run fn(*args) in a worker, as a job of no kiosk (see submit_for)."""
        return self.submit_for(None, fn, *args, **kwargs)

    def submit_for(
        self, key: Key, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> "Future[T]":
        """Run fn(*args) in a worker in the key's turn; FacePoolBusyError when the pool is
        full or the key holds its share. Cancelling the future before its turn drops the job."""
        job = _Job(key, fn, args, kwargs)
        with self._lock:
            displaced = self._admit(key)
            self._waiting.put(job)
            self._lock.notify_all()
        job.future.add_done_callback(lambda future: self._on_cancel(job, future))
        if displaced is not None:
            _fail(displaced, FacePoolBusyError("A newer frame took this one's turn"))
        return job.future

    async def run(self, fn: Callable[..., T], *args: Any, key: Key = None) -> T:
        """Await fn(*args) from a worker without blocking the event loop."""
        # A cancelled await drops a job still waiting; one already running keeps its
        # admission until the worker is done with it.
        return await asyncio.wrap_future(self.submit_for(key, fn, *args))

    def warm_up(self, timeout: float = 120.0) -> None:
        """Start every worker and wait until its models are loaded."""
        futures = [self._executor.submit(_ready) for _ in range(self.workers)]
        for future in futures:
            future.result(timeout=timeout)

    def close(self, *, wait: bool = True) -> None:
        """Refuse new jobs, cancel waiting ones and stop the workers."""
        with self._lock:
            self._closed = True
            dropped = self._waiting.clear()
            self._lock.notify_all()
        for job in dropped:
            job.future.cancel()
        self._dispatcher.join(timeout=10)
        self._executor.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> "FacePool":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- admission (under the lock) -----------------------------------------------------------

    def _share(self, key: Key) -> int:
        active = len(self._admitted) + (key not in self._admitted)
        return max(1, self.max_pending // active)

    def _admit(self, key: Key) -> _Job | None:
        """Count the key's new job in; the waiting job it displaces, if any."""
        if self._closed:
            raise FacePoolClosedError("The face engine is shutting down")
        if self._admitted[key] >= self._share(key):
            raise FacePoolBusyError("The face engine is busy; try again in a moment")
        displaced = None
        if self._admitted.total() >= self.max_pending:
            displaced = self._displace(key)
        self._admitted[key] += 1
        return displaced

    def _displace(self, key: Key) -> _Job | None:
        """Room for the key's job in a full pool: the oldest waiting job of the key most over
        its share is dropped. When that key's jobs all run already, a key with no job yet is
        let in over the bound: the surplus ends with those jobs and is not renewed."""
        share = self._share(key)  # every key's share once the asking key counts as active
        over = [(n - share, other) for other, n in self._admitted.items() if n > share]
        waiting = [item for item in over if item[1] != key and self._waiting.count(item[1])]
        if waiting:
            victim = max(waiting, key=lambda item: item[0])[1]
            job = self._waiting.pop(victim)
            self._release(job)
            return job
        if over and not self._admitted[key]:
            return None
        raise FacePoolBusyError("The face engine is busy; try again in a moment")

    def _release(self, job: _Job) -> None:
        if job.released:
            return
        job.released = True
        self._admitted[job.key] -= 1
        if self._admitted[job.key] <= 0:
            del self._admitted[job.key]

    def _on_cancel(self, job: _Job, future: "Future[Any]") -> None:
        if future.cancelled():  # by its caller while waiting, or by close()
            with self._lock:
                self._waiting.remove(job)
                self._release(job)
                self._lock.notify_all()

    # -- dispatch (the dispatcher thread) -------------------------------------------------------

    def _dispatch_loop(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(self._has_work)
                if self._closed:
                    return
                broken, self._broken = self._broken, None
                job = self._next_job()
            if broken is not None:
                self._restart(broken)
            if job is not None:
                self._start(job)

    def _has_work(self) -> bool:
        free = self._running.total() < self.workers and len(self._waiting) > 0
        return self._closed or self._broken is not None or free

    def _next_job(self) -> _Job | None:
        """The next job in turn, marked running (a cancelled one is skipped)."""
        while self._running.total() < self.workers and len(self._waiting):
            job = self._waiting.pop(self._next_key())
            if job.future.set_running_or_notify_cancel():
                self._running[job.key] += 1
                self._turns += 1
                self._served[job.key] = self._turns
                self._forget_idle()
                return job
        return None

    def _forget_idle(self) -> None:
        # A kiosk keeps its place in the round robin between two frames; keys with nothing
        # admitted are forgotten only when there are many (desks come and go).
        if len(self._served) > MAX_REMEMBERED_KEYS:
            self._served = {k: turn for k, turn in self._served.items() if k in self._admitted}

    def _next_key(self) -> Key:
        # Round robin: the key with the fewest jobs in the workers, then the one served
        # longest ago, goes first; a key never served (or forgotten) comes first.
        return min(
            self._waiting.keys(),
            key=lambda key: (self._running[key], self._served.get(key, 0)),
        )

    def _start(self, job: _Job) -> None:
        executor = self._executor
        try:
            done = executor.submit(job.fn, *job.args, **job.kwargs)
        except BrokenProcessPool:
            self._restart(executor)
            self._start_again(job)
            return
        except RuntimeError:  # shut down meanwhile
            self._finish(job, executor, None)
            return
        done.add_done_callback(lambda future: self._finish(job, executor, future))

    def _start_again(self, job: _Job) -> None:
        executor = self._executor
        try:
            done = executor.submit(job.fn, *job.args, **job.kwargs)
        except (BrokenProcessPool, RuntimeError):
            self._finish(job, executor, None)
            return
        done.add_done_callback(lambda future: self._finish(job, executor, future))

    def _finish(self, job: _Job, executor: ProcessPoolExecutor, done: "Future[Any] | None") -> None:
        """A job's worker future is done: free its place first, then pass its outcome on."""
        error = _error_of(done)
        with self._lock:
            self._running[job.key] -= 1
            if self._running[job.key] <= 0:
                del self._running[job.key]
            self._release(job)
            if isinstance(error, BrokenProcessPool) and self._executor is executor:
                self._broken = executor  # the dispatcher replaces it
            self._lock.notify_all()
        if done is None or done.cancelled():
            _fail(job, FacePoolClosedError("The face engine is shutting down"))
        elif isinstance(error, BrokenProcessPool):
            _fail(job, _restarted())
        elif error is not None:
            _fail(job, error)
        else:
            job.future.set_result(done.result())

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        # A worker died (dlib crashed, or the OOM killer): that executor is unusable for good.
        with self._lock:
            if self._closed or self._executor is not broken:
                return  # shutting down, or already replaced
            self._executor = self._new_executor()
        broken.shutdown(wait=False, cancel_futures=True)


def _error_of(done: "Future[Any] | None") -> BaseException | None:
    if done is None or done.cancelled():
        return None
    return done.exception()


def _fail(job: _Job, error: BaseException) -> None:
    # The caller may have cancelled a waiting job at the same moment: nothing to tell then.
    with contextlib.suppress(InvalidStateError):
        job.future.set_exception(error)
