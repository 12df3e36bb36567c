"""A writer per poll: casts from HTTP and the websocket are queued and written in batches.

Each cast waits on its own future. The first cast for a poll starts a worker task; the worker
takes everything queued for the poll (up to MAX_BATCH), writes it in one transaction in a
worker thread (voting.batch.cast_ballots), answers every caller with its own acknowledgement or
error, and goes on until the queue is empty, then ends. While one batch is written the next one
gathers, so a burst costs one transaction per batch instead of one per ballot. BatchWriter is
that machinery for any kind of cast: a subclass says how a batch is written (BallotWriter here,
web.realtime.encrypted_writer for encrypted ballots).
"""

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from models import BallotAck, BallotCast
from models.db import open_session
from voting.batch import Outcome, PendingCast, cast_ballots
from web import metrics
from web.state import AppState, BallotQueue

MAX_BATCH = 500

P = TypeVar("P")  # a cast waiting to be written
A = TypeVar("A")  # its acknowledgement


@dataclass
class _Queue(Generic[P, A]):
    pending: "deque[tuple[P, asyncio.Future[A]]]" = field(default_factory=deque)
    worker: "asyncio.Task[None] | None" = None


class BatchWriter(Generic[P, A]):
    """Queues casts per poll and writes each poll's queue in batches, one batch at a time."""

    def __init__(self, state: AppState, max_batch: int = MAX_BATCH) -> None:
        self.state = state
        self.max_batch = max_batch
        self.queues: dict[int, _Queue[P, A]] = {}

    def _write(self, poll_id: int, casts: list[P]) -> Sequence[A | Exception]:
        """Write one batch (in a worker thread), timed and counted: per cast its
        acknowledgement or its error."""
        publish = self.state.hub.publish_threadsafe
        with (
            metrics.BALLOT_WRITE_SECONDS.time(),
            open_session(self.state.engine, publish=publish) as session,
        ):
            outcomes = self._cast_batch(session, poll_id, casts)
        metrics.count_ballots(list(outcomes))  # committed
        return outcomes

    def _cast_batch(
        self, session: Session, poll_id: int, casts: list[P]
    ) -> Sequence[A | Exception]:
        """The domain's batch cast (it commits)."""
        raise NotImplementedError

    async def submit(self, poll_id: int, pending: P) -> A:
        """The acknowledgement of this cast, or its error raised."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[A] = loop.create_future()
        queue = self.queues.setdefault(poll_id, _Queue())
        queue.pending.append((pending, future))
        if queue.worker is None or queue.worker.done():
            queue.worker = loop.create_task(self._drain(poll_id, queue))
        return await future

    async def _drain(self, poll_id: int, queue: _Queue[P, A]) -> None:
        while queue.pending:
            batch = [
                queue.pending.popleft() for _ in range(min(self.max_batch, len(queue.pending)))
            ]
            casts = [pending for pending, _ in batch]
            try:
                outcomes = await run_in_threadpool(self._write, poll_id, casts)
            except BaseException as error:  # the batch failed as a whole: tell everyone
                for _, future in batch:
                    if not future.done():
                        future.set_exception(
                            error if isinstance(error, Exception) else RuntimeError("cancelled")
                        )
                if not isinstance(error, Exception):
                    self._fail_pending(queue)
                    raise
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # the caller went away
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        # No await since the last look at the queue: nothing can have been added meanwhile.
        if self.queues.get(poll_id) is queue:
            del self.queues[poll_id]

    async def stop(self) -> None:
        """Wait for every queued cast to be written (at shutdown, before the engine goes),
        including casts queued while waiting: none is left acknowledged-to-be and unwritten."""
        while workers := [
            q.worker for q in self.queues.values() if q.worker and not q.worker.done()
        ]:
            await asyncio.gather(*workers, return_exceptions=True)

    @staticmethod
    def _fail_pending(queue: _Queue[P, A]) -> None:
        while queue.pending:
            _, future = queue.pending.popleft()
            if not future.done():
                future.set_exception(RuntimeError("The ballot writer stopped"))


class BallotWriter(BatchWriter[PendingCast, BallotAck]):
    """Ballots in clear, written by voting.batch.cast_ballots."""

    async def cast(
        self, *, person_id: int, poll_id: int, cast: BallotCast, meeting_id: int | None = None
    ) -> BallotAck:
        """The acknowledgement of this cast, or its error raised."""
        return await self.submit(poll_id, PendingCast(person_id, cast, meeting_id))

    def _cast_batch(
        self, session: Session, poll_id: int, casts: list[PendingCast]
    ) -> list[Outcome]:
        return cast_ballots(session=session, poll_id=poll_id, casts=casts)


def writer(state: AppState) -> BallotQueue:
    """The app's ballot writer (made by the lifespan)."""
    if state.ballots is None:
        raise RuntimeError("The ballot writer is not running")
    return state.ballots
