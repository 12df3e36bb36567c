"""The ballot writer's stop (at shutdown, after the drain) waits for every queued cast, those
queued while it waits included: a ballot about to be acknowledged is never left unwritten."""

import asyncio
import time
from typing import cast

import pytest

from models import BallotAck, BallotCast
from models.base import utcnow
from voting.batch import Outcome, PendingCast
from web.realtime.ballot_writer import BallotWriter
from web.state import AppState

pytestmark = pytest.mark.nodb


class SlowWriter(BallotWriter):
    """Writes nowhere, slowly: what was written, in order."""

    def __init__(self) -> None:
        super().__init__(cast(AppState, None))
        self.written: list[tuple[int, str]] = []

    def _write(self, poll_id: int, casts: list[PendingCast]) -> list[Outcome]:
        time.sleep(0.1)
        self.written += [(poll_id, pending.cast.nonce) for pending in casts]
        return [BallotAck(poll_id=poll_id, nonce=p.cast.nonce, received_at=utcnow()) for p in casts]


def test_stop_writes_what_was_queued_while_it_waited() -> None:
    async def scenario() -> list[tuple[int, str]]:
        writer = SlowWriter()

        async def vote(poll_id: int, nonce: str) -> BallotAck:
            ballot = BallotCast(choice="yes", nonce=nonce)
            return await writer.cast(person_id=1, poll_id=poll_id, cast=ballot)

        first = asyncio.create_task(vote(1, "a" * 16))
        await asyncio.sleep(0.01)
        stopping = asyncio.create_task(writer.stop())
        await asyncio.sleep(0.01)
        late = asyncio.create_task(vote(2, "b" * 16))  # queued while stop waits
        await stopping
        assert late.done()
        assert first.done()
        return writer.written

    assert asyncio.run(scenario()) == [(1, "a" * 16), (2, "b" * 16)]
