"""The face process pool: bounded admission (503 when full), errors and crashes of workers."""

import asyncio
from collections.abc import Iterator

import pytest

from checkin import engine
from checkin.engine import FrameOptions
from checkin.errors import FacePoolBusyError, FacePoolClosedError, NoFaceFoundError
from checkin.pool import FacePool
from core.errors import ServiceBusyError
from tests.checkin import jobs


@pytest.fixture(scope="module")
def small_pool() -> Iterator[FacePool]:
    """One worker without dlib's models, for the admission rules."""
    with FacePool(workers=1, max_pending=1, initializer=None) as pool:
        pool.warm_up()
        yield pool


def test_a_full_pool_refuses_at_once(small_pool: FacePool) -> None:
    running = small_pool.submit(jobs.slow_square, 3)
    with pytest.raises(ServiceBusyError) as caught:
        small_pool.submit(jobs.slow_square, 4)
    assert isinstance(caught.value, FacePoolBusyError)
    assert caught.value.status_code == 503
    assert running.result(timeout=10) == 9
    # The slot is free again once the job is done.
    assert small_pool.submit(jobs.slow_square, 5, 0.0).result(timeout=10) == 25
    assert small_pool.pending == 0


def test_run_awaits_without_blocking_the_loop(small_pool: FacePool) -> None:
    async def scenario() -> tuple[int, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        result = await small_pool.run(jobs.slow_square, 6, 0.3)
        ticker.cancel()
        return result, ticks

    result, ticks = asyncio.run(scenario())
    assert result == 36
    assert ticks >= 10  # the loop kept running while the worker computed


def test_busy_through_run(small_pool: FacePool) -> None:
    async def scenario() -> None:
        first = asyncio.ensure_future(small_pool.run(jobs.slow_square, 2, 0.3))
        await asyncio.sleep(0)
        with pytest.raises(FacePoolBusyError):
            await small_pool.run(jobs.slow_square, 3)
        assert await first == 4

    asyncio.run(scenario())


def test_domain_errors_cross_the_process_boundary(small_pool: FacePool) -> None:
    with pytest.raises(NoFaceFoundError) as caught:
        small_pool.submit(jobs.refuse).result(timeout=10)
    assert caught.value.status_code == 422
    assert caught.value.field == "photo"


def test_a_crashed_worker_is_replaced() -> None:
    with FacePool(workers=1, max_pending=2, initializer=None) as pool:

        async def scenario() -> int:
            with pytest.raises(FacePoolBusyError, match="restarted"):
                await pool.run(jobs.crash)
            return await pool.run(jobs.slow_square, 7, 0.0)

        assert asyncio.run(scenario()) == 49


def test_a_closed_pool_refuses() -> None:
    pool = FacePool(workers=1, initializer=None)
    pool.close()
    with pytest.raises(FacePoolClosedError):
        pool.submit(jobs.pid)


def test_real_frames_through_the_pool(jpeg_bytes: bytes) -> None:
    with FacePool(workers=1) as pool:  # dlib's models load in the worker's initializer
        assert pool.max_pending == 2
        futures = [pool.submit(engine.analyse_frame, jpeg_bytes, FrameOptions()) for _ in range(2)]
        for future in futures:
            [face] = future.result(timeout=120).faces
            assert face.embedding is not None
        with pytest.raises(ServiceBusyError):
            [pool.submit(engine.analyse_frame, b"") for _ in range(3)]
