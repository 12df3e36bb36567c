"""The ballot-proof pool: encrypted ballots are verified in worker processes, never on the
event loop (and not in a thread either: the checks are pure Python big-number work, and the
GIL would make a thread stall the loop all the same).

It is a pool of its own, apart from the face pool, so that a hall voting never waits behind
kiosk frames. Workers: one per CPU, started on first use, all at once, so that the first burst
of ballots does not pay for them one by one; the ballots that arrive together go to them
together. The job is a plain function of plain values (the ballot as JSON, the shape as
tuples, K and the poll hash as bytes); this module imports only voting.encrypted, the errors and
core.processes at its top, which is what a spawned worker loads.
"""

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, TypeVar

from core.processes import worker_pool
from voting.encrypted.ballots import verify_ballot, verify_reveal
from voting.encrypted.errors import ProtocolError
from voting.encrypted.shape import PollShape
from voting.encrypted_polls.errors import InvalidEncryptedBallotError

if TYPE_CHECKING:
    from voting.encrypted_polls.store import CastSetup

ShapeParts = tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]
T = TypeVar("T")
MAX_JOB = 32  # ballots sent to a worker in one job: a few tens of milliseconds of work


def check_ballot(ballot: object, shape: ShapeParts, key: bytes, poll_hash: bytes) -> str | None:
    """In a worker: the first failing check of spec §9.6, or None when the ballot verifies."""
    try:
        verify_ballot(ballot, PollShape(*shape), key, poll_hash)
    except ProtocolError as error:
        return error.check
    return None


def check_reveal(reveal: object, shape: ShapeParts, key: bytes, poll_hash: bytes) -> str | None:
    """In a worker: the first failing check of a Benaloh reveal (spec §11.3), or None."""
    try:
        verify_reveal(reveal, PollShape(*shape), key, poll_hash)
    except ProtocolError as error:
        return error.check
    return None


Job = tuple[object, ShapeParts, bytes, bytes]


def check_ballots(jobs: list[Job]) -> list[str | None]:
    """In a worker: check_ballot for each of the ballots sent together."""
    return [check_ballot(*job) for job in jobs]


def _started() -> int:
    return os.getpid()


def default_workers() -> int:
    """One per CPU: during a burst the proofs are most of the work (bench.voting --encrypted:
    p99 1.45 -> 1.02 s with two workers instead of one on two cores), and idle otherwise."""
    return max(1, os.cpu_count() or 1)


def refused(check: str) -> InvalidEncryptedBallotError:
    """The voter's error for a ballot that failed `check` (the same words over HTTP and the
    socket)."""
    return InvalidEncryptedBallotError(
        f"The encrypted ballot was refused ({check})", field="ballot"
    )


class ProofPool:
    """Verifies encrypted ballots in worker processes; also keeps, per poll, what its board
    gives for verifying (K, the poll hash, the shape: fixed once the board is `ready`)."""

    def __init__(self, *, workers: int | None = None, start_method: str = "spawn") -> None:
        self.workers = workers or default_workers()
        self.setups: dict[int, CastSetup] = {}
        self.meeting_of: dict[int, int] = {}  # poll id -> its meeting, beside its setup
        # "spawn": forking a server that runs threads can copy a held lock into the child.
        self._context = multiprocessing.get_context(start_method)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False
        self._waiting: list[tuple[Job, asyncio.Future[str | None]]] = []
        self._running: set[asyncio.Future[None]] = set()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("The ballot-proof pool is closed")
            if self._executor is None:
                self._executor = worker_pool(self.workers, self._context)
                for _ in range(self.workers):  # start every worker now, not one per job
                    self._executor.submit(_started)
            return self._executor

    def _forget(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    async def check(self, ballot: Any, setup: "CastSetup") -> str | None:
        """The failing check's name, or None. The ballots that arrive in one turn of the event
        loop go to the workers together, in one job per worker (a burst of a thousand ballots
        paid a pickling and a pipe round trip each); a worker that died is replaced once."""
        shape = setup.params.shape
        job: Job = (
            ballot,
            (shape.slots, shape.weights, shape.allowed_sums),
            setup.key,
            setup.poll_hash,
        )
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str | None] = loop.create_future()
        self._waiting.append((job, answer))
        if len(self._waiting) == 1:
            loop.call_soon(self._send_waiting)
        return await answer

    def _send_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        size = max(1, min(MAX_JOB, -(-len(waiting) // self.workers)))
        for start in range(0, len(waiting), size):
            task = asyncio.ensure_future(self._run(waiting[start : start + size]))
            self._running.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[tuple[Job, "asyncio.Future[str | None]"]]) -> None:
        jobs = [job for job, _ in batch]
        try:
            results = await self._checked(jobs)
        except Exception as error:
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(error)
            return
        for (_, answer), result in zip(batch, results, strict=True):
            if not answer.done():  # its caller may have gone (a closed socket)
                answer.set_result(result)

    async def _checked(self, jobs: list[Job]) -> list[str | None]:
        return await self._run_in_worker(check_ballots, jobs)

    async def check_reveal(self, reveal: Any, setup: "CastSetup") -> str | None:
        """A Benaloh reveal's failing check, or None (rare: one at a time)."""
        shape = setup.params.shape
        parts: ShapeParts = (shape.slots, shape.weights, shape.allowed_sums)
        return await self._run_in_worker(check_reveal, reveal, parts, setup.key, setup.poll_hash)

    async def _run_in_worker(self, function: Callable[..., T], *args: Any) -> T:
        """function(*args) in a worker; a worker that died is replaced once."""
        for attempt in (1, 2):
            executor = self._pool()
            try:
                return await asyncio.wrap_future(executor.submit(function, *args))
            except BrokenProcessPool:
                self._forget(executor)
                if attempt == 2:
                    raise
        raise AssertionError("not reached")

    async def verify(self, ballot: Any, setup: "CastSetup") -> None:
        """Return when the ballot verifies; InvalidEncryptedBallotError naming the check else."""
        failed = await self.check(ballot, setup)
        if failed is not None:
            raise refused(failed)

    def close(self) -> None:
        """Refuse new work and stop the workers (at the app's shutdown)."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
