"""Casting in batches: voting.batch.cast_ballots and the per-poll writer of the web layer."""

import asyncio
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, col, func, select

from models import Ballot, BallotAck, BallotCast, Event, SecretChoice
from tests.factories import Room, add_voters, close_in_thread, make_room, make_user, nonce, stored
from voting import polls
from voting.batch import PendingCast, cast_ballots
from voting.errors import (
    InvalidBallotError,
    NotInvitedError,
    NotProxyHolderError,
    PollClosedError,
    PollNotFoundError,
)
from web.realtime.ballot_writer import BallotWriter
from web.state import AppState


def pending(person_id: int, *, meeting_id: int | None = None, **fields: Any) -> PendingCast:
    body = {"nonce": nonce(), **fields}
    return PendingCast(person_id, BallotCast.model_validate(body), meeting_id)


def ballot_events(session: Session) -> int:
    query = select(func.count()).select_from(Event).where(col(Event.type) == "poll.ballot")
    return session.exec(query).one()


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_a_batch_answers_each_cast_on_its_own(room: Room, secret: bool) -> None:
    session = room.session
    poll = room.open(secret=secret)
    assert poll.id is not None
    a, b, c, d, e = (person.id or 0 for person in room.delegates)
    earlier = room.cast(poll, room.delegates[3], choice="no")
    outsider = make_user(session)
    first = pending(a, choice="yes")
    events_before = ballot_events(session)
    casts = [
        first,
        pending(b, choice="maybe"),  # invalid
        pending(outsider.id or 0, choice="yes"),  # not invited
        PendingCast(a, first.cast),  # the same nonce again, in the same batch
        PendingCast(d, BallotCast(choice="no", nonce=earlier.nonce)),  # a resend of a stored one
        pending(c, choice="no", on_behalf_of=e),  # holds no proxy
        pending(e, choice="abstain"),
        pending(b, choice="no", meeting_id=(room.meeting.id or 0) + 1000),  # another meeting
    ]
    outcomes = cast_ballots(session=session, poll_id=poll.id, casts=casts)
    assert len(outcomes) == len(casts)
    ok, invalid, outsider_answer, again, resend, proxy, last, elsewhere = outcomes
    assert isinstance(ok, BallotAck)
    assert isinstance(last, BallotAck)
    assert again == ok
    assert resend == earlier
    assert isinstance(invalid, InvalidBallotError)
    assert isinstance(outsider_answer, NotInvitedError)
    assert isinstance(proxy, NotProxyHolderError)
    assert isinstance(elsewhere, PollNotFoundError)
    assert stored(session, poll) == 3  # d before, then a and e
    assert ballot_events(session) == events_before + 1  # one trigger for the batch
    if secret:
        assert ok.receipt
        assert last.receipt
        assert ok.receipt != last.receipt
    result = polls.close_poll(session=session, poll=poll)
    assert result["ballots"] == 3


def test_an_all_bad_batch_writes_nothing(room: Room) -> None:
    poll = room.open()
    assert poll.id is not None
    events_before = ballot_events(room.session)
    outcomes = cast_ballots(
        session=room.session,
        poll_id=poll.id,
        casts=[pending(room.delegates[0].id or 0, choice="maybe")],
    )
    assert isinstance(outcomes[0], InvalidBallotError)
    assert stored(room.session, poll) == 0
    assert ballot_events(room.session) == events_before


def test_secret_choices_are_not_inserted_in_cast_order(room: Room) -> None:
    """The choice rows of a batch go in shuffled: their order does not mirror the voters'."""
    session = room.session
    voters = add_voters(room, 40)
    poll = room.open(secret=True)
    assert poll.id is not None
    inserted: list[str] = []

    def record(_conn: Any, statement: Any, multiparams: Any, *_args: Any) -> None:
        if isinstance(statement, Insert) and statement.table.name == SecretChoice.__tablename__:
            inserted.extend(row["receipt"] for row in multiparams)

    engine = session.get_bind()
    sa_event.listen(engine, "before_execute", record)
    try:
        casts = [pending(v, choice="yes") for v in voters]
        outcomes = cast_ballots(session=session, poll_id=poll.id, casts=casts)
    finally:
        sa_event.remove(engine, "before_execute", record)
    receipts = [outcome.receipt for outcome in outcomes if isinstance(outcome, BallotAck)]
    assert len(receipts) == 40
    assert sorted(inserted) == sorted(receipts)  # type: ignore[type-var]
    assert inserted != receipts


def _state(client: TestClient) -> AppState:
    state: AppState = client.app.state.hop  # type: ignore[attr-defined]
    return state


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_concurrent_casts_through_the_writer_leave_one_ballot_each(
    client: TestClient, session: Session, secret: bool
) -> None:
    room = make_room(session, delegates=0)
    voters = add_voters(room, 120)
    poll = room.open(secret=secret)
    assert poll.id is not None
    poll_id = poll.id
    events_before = ballot_events(session)
    writer = BallotWriter(_state(client), max_batch=50)

    async def burst() -> list[BallotAck | BaseException]:
        calls = []
        for voter in voters:
            cast = BallotCast(choice="yes", nonce=nonce())
            # Each voter sends the same ballot three times at once (a flaky network).
            calls += [writer.cast(person_id=voter, poll_id=poll_id, cast=cast) for _ in range(3)]
        return await asyncio.gather(*calls, return_exceptions=True)

    answers = asyncio.run(burst())
    assert [a for a in answers if not isinstance(a, BallotAck)] == []
    acks = [a for a in answers if isinstance(a, BallotAck)]
    for n in range(0, len(acks), 3):
        assert acks[n] == acks[n + 1] == acks[n + 2]
    assert stored(session, poll) == 120
    assert 1 <= ballot_events(session) - events_before < 120  # batched
    assert writer.queues == {}  # the worker ended with its queue
    assert polls.close_poll(session=session, poll=poll)["ballots"] == 120


def test_a_close_racing_the_writer_accepts_nothing_after_it(
    client: TestClient, session: Session, engine: Engine
) -> None:
    room = make_room(session, delegates=0)
    voters = add_voters(room, 200)
    poll = room.open()
    assert poll.id is not None
    poll_id = poll.id
    writer = BallotWriter(_state(client), max_batch=20)
    closes: list[dict[str, Any]] = []
    started = threading.Event()

    def close() -> None:
        started.wait(10)
        closes.append(close_in_thread(engine, poll_id))

    async def race() -> list[BallotAck | BaseException]:
        async def one(voter: int, delay: float) -> BallotAck:
            await asyncio.sleep(delay)
            started.set()
            cast = BallotCast(choice="no", nonce=nonce())
            return await writer.cast(person_id=voter, poll_id=poll_id, cast=cast)

        closers = [asyncio.to_thread(close) for _ in range(3)]
        casts = [one(v, (n % 50) / 1000) for n, v in enumerate(voters)]
        results = await asyncio.gather(*casts, *closers, return_exceptions=True)
        return list(results[: len(casts)])  # type: ignore[arg-type]

    answers = asyncio.run(race())
    acked = [a for a in answers if isinstance(a, BallotAck)]
    refused = [a for a in answers if not isinstance(a, BallotAck)]
    assert all(isinstance(error, PollClosedError) for error in refused), refused[:3]
    assert len(closes) == 3
    assert all(result == closes[0] for result in closes)
    assert closes[0]["ballots"] == len(acked) == stored(session, poll)
    count = session.exec(
        select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)
    ).one()
    assert count == len(acked)
