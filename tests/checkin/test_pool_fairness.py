"""The face pool shares its workers fairly among kiosks (issue 16): a kiosk sending frames as
fast as it can never shuts out a polite one. Jobs are sleeps (tests/checkin/jobs.py), not dlib."""

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future

import pytest

from checkin.errors import FacePoolBusyError, FacePoolClosedError
from checkin.pool import FacePool
from tests.checkin import jobs


@pytest.fixture
def pool() -> Iterator[FacePool]:
    """One worker, room for four jobs: the greedy kiosk alone could take all four."""
    with FacePool(workers=1, max_pending=4, initializer=None) as pool:
        pool.warm_up()
        yield pool


def _started(future: "Future[int]") -> None:
    """Until the dispatcher has handed the job to the worker (not a timing assertion)."""
    for _ in range(1000):
        if future.running() or future.done():
            return
        time.sleep(0.01)
    raise AssertionError("the job never started")


def _order(futures: dict[str, "Future[int]"]) -> list[str]:
    """The names of the jobs in the order they finished (one worker: the order they ran)."""
    done: list[str] = []
    lock = threading.Lock()
    finished = threading.Event()

    def note(name: str) -> None:
        with lock:
            done.append(name)
            if len(done) == len(futures):
                finished.set()

    def noter(name: str) -> "Callable[[Future[int]], None]":
        return lambda _: note(name)

    for name, future in futures.items():
        future.add_done_callback(noter(name))
    assert finished.wait(30)
    return done


def test_a_polite_kiosk_takes_the_place_of_a_greedy_ones_waiting_frame(pool: FacePool) -> None:
    greedy = {f"g{n}": pool.submit_for("greedy", jobs.slow_square, n, 0.2) for n in range(1, 5)}
    _started(greedy["g1"])
    with pytest.raises(FacePoolBusyError):  # alone it may hold all four places, not five
        pool.submit_for("greedy", jobs.slow_square, 5)
    polite = pool.submit_for("polite", jobs.slow_square, 7, 0.0)
    # The greedy kiosk's oldest waiting frame gave its place up; its share is now half.
    with pytest.raises(FacePoolBusyError, match="newer frame"):
        greedy["g2"].result(timeout=10)
    with pytest.raises(FacePoolBusyError):
        pool.submit_for("greedy", jobs.slow_square, 6)
    order = _order({"g1": greedy["g1"], "g3": greedy["g3"], "g4": greedy["g4"], "p": polite})
    # The polite frame runs as soon as the worker is free, before the greedy ones waiting.
    assert order == ["g1", "p", "g3", "g4"]
    assert polite.result() == 49
    assert pool.pending == 0


def test_a_kiosk_with_no_frame_gets_in_while_a_greedy_one_holds_every_worker() -> None:
    with FacePool(workers=2, max_pending=2, initializer=None) as pool:
        pool.warm_up()
        greedy = [pool.submit_for("greedy", jobs.slow_square, n, 0.3) for n in (1, 2)]
        for future in greedy:
            _started(future)
        # Nothing of the greedy kiosk waits to be dropped; the polite kiosk's first frame is
        # let in over the bound, and the greedy kiosk is held to its share meanwhile.
        polite = pool.submit_for("polite", jobs.slow_square, 3, 0.0)
        with pytest.raises(FacePoolBusyError):
            pool.submit_for("greedy", jobs.slow_square, 4)
        with pytest.raises(FacePoolBusyError):  # one frame of the polite kiosk at a time
            pool.submit_for("polite", jobs.slow_square, 5)
        assert polite.result(timeout=10) == 9
        assert [future.result(timeout=10) for future in greedy] == [1, 4]
        assert pool.pending == 0


def test_turns_go_round_the_kiosks_that_wait(pool: FacePool) -> None:
    first = pool.submit_for("a", jobs.slow_square, 0, 0.2)
    _started(first)
    futures = {"a0": first}
    for n in (1, 2):
        for kiosk in ("a", "b", "c"):
            if len(futures) < pool.max_pending:
                futures[f"{kiosk}{n}"] = pool.submit_for(kiosk, jobs.slow_square, n, 0.0)
    assert list(futures) == ["a0", "a1", "b1", "c1"]
    assert _order(futures) == ["a0", "b1", "c1", "a1"]  # a just had the worker: it waits


def test_a_greedy_kiosk_never_starves_a_polite_one(pool: FacePool) -> None:
    # What happened, in order, noted by the futures' callbacks as it happened: "g" a greedy
    # frame analysed, "sent" a polite frame submitted, "p" a polite frame analysed.
    events: list[str] = []

    def analysed(mark: str) -> "Callable[[Future[int]], None]":
        return lambda future: None if future.exception() else events.append(mark)

    async def scenario() -> list[int]:
        stop = asyncio.Event()

        async def greedy() -> None:  # frames as fast as the pool takes them, never awaited
            while not stop.is_set():
                with contextlib.suppress(FacePoolBusyError):
                    future = pool.submit_for("greedy", jobs.slow_square, 1, 0.05)
                    future.add_done_callback(analysed("g"))
                await asyncio.sleep(0.005)

        streaming = asyncio.create_task(greedy())
        await asyncio.sleep(0.3)  # the greedy kiosk holds the whole pool by now
        results = []
        for n in range(5):
            events.append("sent")
            future = pool.submit_for("polite", jobs.slow_square, n, 0.05)
            future.add_done_callback(analysed("p"))
            results.append(await asyncio.wrap_future(future))
        stop.set()
        await streaming
        return results

    assert asyncio.run(scenario()) == [0, 1, 4, 9, 16]  # every polite frame analysed
    assert events.count("g") >= 5  # the greedy kiosk kept the worker busy meanwhile
    # Between a polite frame's submission and its analysis, at most the greedy frame that
    # had the worker then: the polite one is next, whatever the greedy kiosk sends.
    waits = "".join("s" if e == "sent" else e for e in events).split("s")[1:]
    assert all(wait.index("p") <= 1 for wait in waits), waits


def test_a_cancelled_waiting_frame_is_dropped_and_frees_its_place(pool: FacePool) -> None:
    running = pool.submit_for("a", jobs.slow_square, 2, 0.2)
    _started(running)
    waiting = pool.submit_for("a", jobs.slow_square, 3, 0.0)
    assert pool.pending == 2
    assert waiting.cancel()
    assert pool.pending == 1
    assert running.result(timeout=10) == 4
    assert pool.pending == 0


def test_closing_cancels_the_waiting_frames() -> None:
    pool = FacePool(workers=1, max_pending=3, initializer=None)
    running = pool.submit_for("a", jobs.slow_square, 2, 0.2)
    _started(running)
    waiting = pool.submit_for("b", jobs.slow_square, 3, 0.0)
    pool.close()
    assert waiting.cancelled()
    assert running.result(timeout=10) == 4
    with pytest.raises(FacePoolClosedError):
        pool.submit_for("a", jobs.slow_square, 1)
