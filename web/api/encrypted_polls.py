"""Encrypted secret polls (hop-eb-v1): drafting one with its committee, the public board,
the trustees' entries, encrypted ballots and Benaloh reveals."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from models import (
    EncryptedBallotAck,
    EncryptedBallotCast,
    EncryptedPollCreate,
    Poll,
    PollPublic,
    RevealPost,
    TrusteeEntryPost,
)
from records import board_signing
from voting import encrypted_committee, polls
from voting.encrypted_polls import casting, store, trustees
from voting.encrypted_polls.errors import InvalidEncryptedBallotError
from web import ratelimit
from web.api.polls import PollDep
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep, StateDep, get_gettext
from web.realtime import encrypted_ballots
from web.realtime.encrypted_writer import encrypted_writer

router = APIRouter(tags=["encrypted polls"])


def get_board_poll(
    poll_id: Annotated[int, Path()], session: SessionDep, person: CurrentUser
) -> Poll:
    return encrypted_committee.get_board_poll(session=session, poll_id=poll_id, viewer=person)


BoardPollDep = Annotated[Poll, Depends(get_board_poll)]


@router.post("/meetings/{meeting_id}/encrypted-polls", status_code=201)
def create_encrypted_poll(
    data: EncryptedPollCreate, meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> PollPublic:
    """Draft an encrypted secret poll with its vote-counting committee (chair or secretariat)."""
    poll = encrypted_committee.create_encrypted_poll(
        session=session, meeting=meeting, data=data, creator=person
    )
    return polls.describe(poll)


@router.get("/polls/{poll_id}/board")
def board(poll: BoardPollDep, session: SessionDep, state: StateDep) -> JSONResponse:
    """The poll's board (spec §5.1) signed as served (§5.4), also as a download."""
    assert poll.id is not None
    disposition = f'inline; filename="poll-{poll.id}-board.json"'
    document = board_signing.signed_board(
        store.document(session, poll.id), state.settings.resolved_secret_key
    )
    return JSONResponse(document, headers={"content-disposition": disposition})


@router.post("/polls/{poll_id}/trustee-entries", status_code=201)
def post_trustee_entry(
    data: TrusteeEntryPost, poll: BoardPollDep, session: SessionDep, person: CurrentUser
) -> list[dict[str, Any]]:
    """A trustee's entry, checked and appended; returns every entry appended because of it."""
    assert poll.id is not None
    return trustees.post_trustee_entry(
        session=session, poll_id=poll.id, person=person, kind=data.kind, body=data.body
    )


@router.post("/polls/{poll_id}/set-up-again", status_code=201)
def set_up_again(
    poll_id: Annotated[int, Path()], session: SessionDep, person: CurrentUser
) -> PollPublic:
    """After a failed key setup (its board ends with `abandoned`): a new draft with the same
    question and committee, `attempt` + 1; the failed draft is cancelled (chair or secretariat)."""
    poll = encrypted_committee.set_up_again(session=session, poll_id=poll_id, viewer=person)
    return polls.describe(poll)


@router.post("/polls/{poll_id}/encrypted-ballots")
async def cast_encrypted_ballot(
    data: EncryptedBallotCast,
    poll: PollDep,
    person: CurrentUser,
    session: SessionDep,
    state: StateDep,
    request: Request,
) -> EncryptedBallotAck:
    """Cast an encrypted ballot; the same nonce again returns the same acknowledgement. The
    proofs are checked in the ballot-proof pool (web.proof_pool), never on the event loop."""
    assert person.id is not None
    await ratelimit.check_ballot(state, voter_id=person.id, gettext=get_gettext(request))
    pool = encrypted_ballots.proof_pool(state)
    setup = await run_in_threadpool(encrypted_ballots.cached_setup, pool, session, poll)
    await pool.verify(data.ballot, setup)
    assert poll.id is not None
    session.close()  # end the reads: the writer casts in a transaction of its own
    # Written in batches per poll with the socket's ballots (web.realtime.encrypted_writer).
    writer = encrypted_writer(state)
    return await writer.cast(person_id=person.id, poll_id=poll.id, cast=data)


@router.post("/polls/{poll_id}/spoiled", status_code=204)
async def post_reveal(
    data: RevealPost,
    poll: PollDep,
    person: CurrentUser,
    session: SessionDep,
    state: StateDep,
    request: Request,
) -> None:
    """A Benaloh reveal: the spoiled ballot goes on the board at close (no voter is kept)."""
    assert person.id is not None
    assert poll.id is not None
    await ratelimit.check_ballot(state, voter_id=person.id, gettext=get_gettext(request))
    pool = encrypted_ballots.proof_pool(state)
    setup = await run_in_threadpool(encrypted_ballots.cached_setup, pool, session, poll)
    failed = await pool.check_reveal(data.reveal, setup)  # its proofs too: in a worker
    if failed is not None:
        raise InvalidEncryptedBallotError(
            f"The revealed ballot was refused ({failed})", field="reveal"
        )
    await run_in_threadpool(
        casting.post_reveal, session=session, poll_id=poll.id, reveal=data.reveal
    )
