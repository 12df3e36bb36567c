"""Encrypted ballots over the meeting websocket (hop-eb-v1, spec §12).

A tablet sends {"type": "ballot.encrypted", "poll_id", "ballot", "nonce", "on_behalf_of"?,
"permit"?} and gets, on its own socket only, {"type": "ballot.ack", "poll_id", "nonce",
"received_at", "on_behalf_of", "tracking_code"}: the acknowledgement of
POST /api/polls/{id}/encrypted-ballots, the same again for a resend of one nonce; or
{"type": "error", "ref": nonce, ...}. The poll is one of this socket's meeting that the voter
sees (voting.polls.get_poll); the proofs are checked in the ballot-proof pool (web.proof_pool);
every rule of the poll is voting.encrypted_polls.casting's, as over HTTP, the casts of a poll
written in batches (web.realtime.encrypted_writer).
"""

from typing import Any

from pydantic import ValidationError
from sqlmodel import Field, Session
from starlette.concurrency import run_in_threadpool

from models import EncryptedBallotCast, Person, Poll, PollStatus
from models.base import MAX_ID
from models.db import open_session
from voting import polls
from voting.encrypted_polls import store
from voting.encrypted_polls.store import CastSetup
from voting.errors import InvalidBallotError, NotEligibleError, PollNotFoundError
from web import ratelimit
from web.proof_pool import ProofPool
from web.realtime.encrypted_writer import encrypted_writer
from web.realtime.ws import ws_error
from web.sockets import Viewer
from web.state import AppState

MESSAGE_TYPE = "ballot.encrypted"


class EncryptedBallotMessage(EncryptedBallotCast):
    """An encrypted ballot over the socket: the poll travels with it (over HTTP it is in the
    path)."""

    poll_id: int = Field(ge=1, le=MAX_ID, schema_extra={"strict": True})


def install(state: AppState) -> None:
    """Register the handler of encrypted ballots on the app's state."""
    state.ws_handlers[MESSAGE_TYPE] = handle_encrypted_ballot


async def handle_encrypted_ballot(
    state: AppState, viewer: Viewer, meeting_id: int, message: dict[str, Any]
) -> dict[str, Any]:
    """Check the proofs off the loop, cast, and acknowledge to this socket only."""
    person = viewer.person
    if person is None or person.id is None:
        raise NotEligibleError("Devices cannot vote: log in as a delegate")
    try:
        await ratelimit.check_ballot(state, voter_id=person.id)
    except ratelimit.RateLimitedError as error:
        return {**ws_error(error, message), "retry_after": error.retry_after}
    cast = parse_message(message)
    pool = proof_pool(state)
    setup = pool.setups.get(cast.poll_id)
    if setup is None or pool.meeting_of.get(cast.poll_id) != meeting_id:
        # The poll's first ballot here, or not a poll of this socket's meeting: read and
        # checked in full. After it the batch checks who sees the poll, for all its casts
        # at once, with no read per ballot before the proofs.
        setup = await run_in_threadpool(_setup, state, pool, person, meeting_id, cast.poll_id)
    await pool.verify(cast.ballot, setup)
    ack = await encrypted_writer(state).cast(
        person_id=person.id, poll_id=cast.poll_id, cast=cast, meeting_id=meeting_id
    )
    return {"type": "ballot.ack", **ack.model_dump(mode="json")}


def parse_message(message: dict[str, Any]) -> EncryptedBallotMessage:
    """The message's ballot, or InvalidBallotError naming the first bad field."""
    try:
        return EncryptedBallotMessage.model_validate(message)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InvalidBallotError(f"{field}: {first['msg']}", field=field) from None


def proof_pool(state: AppState) -> ProofPool:
    """The app's ballot-proof pool (made by the lifespan)."""
    if state.proofs is None:
        raise RuntimeError("The ballot-proof pool is not running")
    return state.proofs


def cached_setup(pool: ProofPool, session: Session, poll: Poll) -> CastSetup:
    """What verifying needs, read from the board once per poll: once the board is `ready`,
    K, the poll hash and the shape never change (the board only grows)."""
    assert poll.id is not None
    setup = pool.setups.get(poll.id)
    if setup is not None:
        return setup
    setup = store.cast_setup(session, poll)
    if poll.status != PollStatus.draft:  # only a draft is ever deleted (and its id reused)
        pool.setups[poll.id] = setup
        pool.meeting_of[poll.id] = poll.meeting_id  # a poll never changes meeting
    return setup


def _setup(
    state: AppState, pool: ProofPool, person: Person, meeting_id: int, poll_id: int
) -> CastSetup:
    with open_session(state.engine) as session:
        poll = polls.get_poll(session=session, poll_id=poll_id, viewer=person)
        if poll.meeting_id != meeting_id:  # a socket votes in its own meeting only
            raise PollNotFoundError(f"Poll {poll_id} not found")
        store.require_encrypted(poll)
        return cached_setup(pool, session, poll)
