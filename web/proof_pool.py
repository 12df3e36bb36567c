"""The ballot-proof pool: encrypted ballots are verified in worker processes, never on the
event loop (and not in a thread either: the checks are pure Python big-number work, and the
GIL would make a thread stall the loop all the same).

It is a pool of its own, apart from the face pool, so that a hall voting never waits behind
kiosk frames. Workers: CPU count - 1 (at least 1), started on first use, all at once, so that
the first burst of ballots does not pay for them one by one. The job is a plain function of
plain values (the ballot as JSON, the shape as tuples, K and the poll hash as bytes); this
module imports only voting.encrypted and the errors at its top, which is what a spawned worker
loads.
"""

import asyncio
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from voting.encrypted.ballots import verify_ballot
from voting.encrypted.errors import ProtocolError
from voting.encrypted.shape import PollShape
from voting.encrypted_polls.errors import InvalidEncryptedBallotError

if TYPE_CHECKING:
    from voting.encrypted_polls.store import CastSetup

ShapeParts = tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]


def check_ballot(ballot: object, shape: ShapeParts, key: bytes, poll_hash: bytes) -> str | None:
    """In a worker: the first failing check of spec §9.6, or None when the ballot verifies."""
    try:
        verify_ballot(ballot, PollShape(*shape), key, poll_hash)
    except ProtocolError as error:
        return error.check
    return None


def _started() -> int:
    return os.getpid()


def default_workers() -> int:
    """One CPU is left to the event loop and the database."""
    return max(1, (os.cpu_count() or 1) - 1)


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
        # "spawn": forking a server that runs threads can copy a held lock into the child.
        self._context = multiprocessing.get_context(start_method)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("The ballot-proof pool is closed")
            if self._executor is None:
                self._executor = ProcessPoolExecutor(self.workers, mp_context=self._context)
                for _ in range(self.workers):  # start every worker now, not one per job
                    self._executor.submit(_started)
            return self._executor

    def _forget(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    async def check(self, ballot: Any, setup: "CastSetup") -> str | None:
        """The failing check's name, or None; a worker that died is replaced once."""
        shape = setup.params.shape
        parts: ShapeParts = (shape.slots, shape.weights, shape.allowed_sums)
        for attempt in (1, 2):
            executor = self._pool()
            try:
                future = executor.submit(check_ballot, ballot, parts, setup.key, setup.poll_hash)
                return await asyncio.wrap_future(future)
            except BrokenProcessPool:
                self._forget(executor)
                if attempt == 2:
                    raise
        return None  # not reached

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
