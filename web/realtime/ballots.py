"""Ballots over the meeting websocket, and live poll progress ("n of m voted").

A client sends {"type": "ballot", "poll_id", "choice" | "choices" | "text" | "agree", "nonce",
"on_behalf_of"?} and gets {"type": "ballot.ack", "poll_id", "nonce", "received_at",
"receipt"?} on its own socket, or {"type": "error", "ref": nonce, ...}. Progress goes to the
meeting's screens at most every 250 ms, never decreasing, and never with per-option counts.
"""

from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from models import BallotMessage
from models.db import open_session
from voting import tally
from voting.errors import InvalidBallotError, NotEligibleError
from web import ratelimit
from web.realtime import ballot_writer
from web.realtime.ws import ws_error
from web.sockets import Viewer
from web.state import AppState

PROGRESS_EVENTS = ("poll.opened", "poll.ballot", "poll.closed")
SUBJECT = "poll:{poll_id}"


def install(state: AppState) -> None:
    """Register the ballot handler and the progress computer on the app's state."""
    state.ws_handlers["ballot"] = handle_ballot
    computer = ProgressComputer(state)
    for event_type in PROGRESS_EVENTS:
        state.hub.register_progress(event_type, SUBJECT, computer)


async def handle_ballot(
    state: AppState, viewer: Viewer, meeting_id: int, message: dict[str, Any]
) -> dict[str, Any]:
    """Cast the ballot through the poll's batch writer and acknowledge it to this socket only."""
    if viewer.person is None or viewer.person.id is None:
        raise NotEligibleError("Devices cannot vote: log in as a delegate")
    try:
        await ratelimit.check_ballot(state, voter_id=viewer.person.id)
    except ratelimit.RateLimitedError as error:
        return {**ws_error(error, message), "retry_after": error.retry_after}
    cast = parse_ballot(message)
    ack = await ballot_writer.writer(state).cast(
        person_id=viewer.person.id, poll_id=cast.poll_id, cast=cast, meeting_id=meeting_id
    )
    return {"type": "ballot.ack", **ack.model_dump(mode="json")}


def parse_ballot(message: dict[str, Any]) -> BallotMessage:
    """The ballot of a message, or InvalidBallotError naming the first problem."""
    try:
        return BallotMessage.model_validate(message)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InvalidBallotError(f"{field}: {first['msg']}", field=field) from None


class ProgressComputer:
    """Reads "n of m voted" for the hub's coalescer; a poll's count never goes back."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.sent: dict[int, int] = {}

    async def __call__(self, meeting_id: int, subject: str) -> dict[str, Any] | None:
        poll_id = int(subject.removeprefix("poll:"))
        data = await run_in_threadpool(self._read, poll_id)
        if data is None:
            return None
        done = max(data["done"], self.sent.get(poll_id, 0))
        self.sent[poll_id] = done
        return {**data, "done": done, "version": done, "total": max(data["total"], done)}

    def _read(self, poll_id: int) -> dict[str, Any] | None:
        with open_session(self.state.engine) as session:
            return tally.progress(session=session, poll_id=poll_id)
