"""Catch-ups shared between the screens of a meeting.

When an event comes late (published out of order past the hub's reorder wait, or lost with a
Redis blip), every screen of the meeting sees the same gap at once and reads the log after the
same sequence. Read one by one, 1,000 screens queue 1,000 reads behind a pool of 15 database
connections: the last screen had the event tens of seconds late (bench.congress). Here the
screens asking for the same (meeting, after, managers or not) while a read is in flight wait for
that read, and its messages are encoded once for all of them.

Only the log's events are shared (they depend on the viewer's role alone); a snapshot, which
depends on the person, is still read per screen. A read that started before the event a screen
waits for was committed may not hold it: that screen then reads on its own.
"""

import asyncio
import json
from typing import Any

from starlette.concurrency import run_in_threadpool

from models import Meeting
from models.db import open_session
from web.realtime import openings
from web.state import AppState

# The texts to send (None: an event this viewer may not see) and the sequence they reach.
Shared = tuple[list[str | None], int]
_Key = tuple[int, int, int, bool]

_reading: dict[_Key, "asyncio.Future[Shared | None]"] = {}


async def events_after(
    state: AppState, meeting_id: int, after: int, *, is_manager: bool, needed: int = 0
) -> Shared | None:
    """The log after `after` reaching at least `needed`, shared with concurrent askers; None
    when the log no longer holds it all (the caller sends a snapshot) or the shared read ended
    before `needed`."""
    key = (id(state.engine), meeting_id, after, is_manager)
    future = _reading.get(key)
    if future is None:
        future = asyncio.ensure_future(
            run_in_threadpool(_read, state, meeting_id, after, is_manager)
        )
        _reading[key] = future
        future.add_done_callback(lambda _: _forget(key, future))
    shared = await asyncio.shield(future)
    if shared is not None and shared[1] < needed:
        return await run_in_threadpool(_read, state, meeting_id, after, is_manager)
    return shared


def _forget(key: _Key, future: "asyncio.Future[Shared | None]") -> None:
    if _reading.get(key) is future:
        del _reading[key]
    if not future.cancelled():
        future.exception()  # seen: each waiter gets it raised (and none may be left)


def _read(state: AppState, meeting_id: int, after: int, is_manager: bool) -> Shared | None:
    """(blocking) The events after `after`, encoded as the sender sends them."""
    with open_session(state.engine) as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            return [], after
        backlog = openings.events_after(session, meeting, after, is_manager)
    if backlog is None:
        return None
    messages, last_seq = backlog
    return [_text(message) for message in messages], last_seq


def _text(message: dict[str, Any] | None) -> str | None:
    return None if message is None else json.dumps(message, ensure_ascii=False)
