"""Screens catching up at the same time share one read of the log (web.realtime.catch_up)."""

import asyncio
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from web.realtime import catch_up

pytestmark = pytest.mark.nodb


class FakeLog:
    """A log read that takes a while and reaches a sequence given by the test."""

    def __init__(self, reaches: int, pause: float = 0.05) -> None:
        self.reaches = reaches
        self.pause = pause
        self.reads: list[tuple[int, int, bool]] = []
        self.lock = threading.Lock()

    def __call__(self, state: Any, meeting_id: int, after: int, is_manager: bool) -> Any:
        with self.lock:
            self.reads.append((meeting_id, after, is_manager))
            reaches = self.reaches  # what the log held when the read began
        time.sleep(self.pause)
        return [f'{{"seq":{n}}}' for n in range(after + 1, reaches + 1)], reaches


def test_screens_asking_together_share_one_read(monkeypatch: pytest.MonkeyPatch) -> None:
    log = FakeLog(reaches=12)
    monkeypatch.setattr(catch_up, "_read", log)
    state: Any = SimpleNamespace(engine=object())

    async def many() -> list[Any]:
        return await asyncio.gather(
            *(catch_up.events_after(state, 1, 10, is_manager=False) for _ in range(200))
        )

    answers = asyncio.run(many())
    assert log.reads == [(1, 10, False)]
    assert all(answer == (['{"seq":11}', '{"seq":12}'], 12) for answer in answers)
    assert catch_up._reading == {}  # nothing kept once the read is done


def test_managers_and_other_sequences_read_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    log = FakeLog(reaches=12)
    monkeypatch.setattr(catch_up, "_read", log)
    state: Any = SimpleNamespace(engine=object())

    async def mixed() -> None:
        await asyncio.gather(
            catch_up.events_after(state, 1, 10, is_manager=False),
            catch_up.events_after(state, 1, 10, is_manager=True),
            catch_up.events_after(state, 1, 9, is_manager=False),
            catch_up.events_after(state, 2, 10, is_manager=False),
        )

    asyncio.run(mixed())
    assert sorted(log.reads) == [(1, 9, False), (1, 10, False), (1, 10, True), (2, 10, False)]


def test_a_read_that_ends_before_the_awaited_event_is_not_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = FakeLog(reaches=11)
    monkeypatch.setattr(catch_up, "_read", log)
    state: Any = SimpleNamespace(engine=object())

    async def late() -> Any:
        first = asyncio.ensure_future(catch_up.events_after(state, 1, 10, is_manager=False))
        await asyncio.sleep(0.01)  # that read started before event 12 was committed
        log.reaches = 12
        second = await catch_up.events_after(state, 1, 10, is_manager=False, needed=12)
        return await first, second

    first, second = asyncio.run(late())
    assert first[1] == 11
    assert second == (['{"seq":11}', '{"seq":12}'], 12)  # read again, on its own
    assert len(log.reads) == 2
