"""Integrity under concurrency: many voters at once, resends, closes racing with casts."""

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from models import (
    BallotAck,
    BallotCast,
    Event,
    Person,
    Poll,
    SecretChoice,
)
from tests.factories import Room, add_voters, close_in_thread, make_room, nonce, stored
from voting import ballots, polls, tally
from voting.errors import PollClosedError

T = TypeVar("T")


def cast_in_thread(engine: Engine, poll_id: int, person_id: int, body: dict[str, Any]) -> BallotAck:
    with Session(engine, expire_on_commit=False) as session:
        person = session.get(Person, person_id)
        poll = session.get(Poll, poll_id)
        assert person is not None
        assert poll is not None
        cast = BallotCast.model_validate(body)
        return ballots.cast_ballot(session=session, poll=poll, voter=person, cast=cast)


def all_at_once(jobs: list[Callable[[], T]]) -> list[T | Exception]:
    """Run every job in its own thread, released together; exceptions are returned."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], T]) -> T | Exception:
        barrier.wait()
        try:
            return job()
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


@pytest.fixture
def crowd(session: Session) -> tuple[Room, list[int]]:
    room = make_room(session, delegates=0)
    return room, add_voters(room, 200)


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_two_hundred_delegates_at_once_make_two_hundred_ballots(
    crowd: tuple[Room, list[int]], engine: Engine, secret: bool
) -> None:
    room, voters = crowd
    poll = room.open(secret=secret)
    assert poll.id is not None
    poll_id = poll.id
    jobs = [
        (
            lambda voter=voter: cast_in_thread(
                engine, poll_id, voter, {"choice": "yes", "nonce": nonce()}
            )
        )
        for voter in voters
    ]
    answers = all_at_once(jobs)
    errors = [answer for answer in answers if isinstance(answer, Exception)]
    assert errors == []
    assert stored(room.session, poll) == 200
    if secret:
        receipts = {answer.receipt for answer in answers if isinstance(answer, BallotAck)}
        assert len(receipts) == 200
        count = room.session.exec(select(func.count()).select_from(SecretChoice)).one()
        assert count == 200
    events = room.session.exec(
        select(func.count()).select_from(Event).where(col(Event.type) == "poll.ballot")
    ).one()
    assert events == 200
    progress = tally.progress(session=room.session, poll_id=poll_id)
    assert progress is not None
    assert (progress["done"], progress["total"]) == (200, 201)
    result = polls.close_poll(session=room.session, poll=poll)
    assert result["ballots"] == 200


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_fifty_resends_of_one_nonce_make_one_ballot(
    room: Room, engine: Engine, secret: bool
) -> None:
    poll = room.open(secret=secret)
    assert poll.id is not None
    poll_id, voter = poll.id, room.delegates[0].id or 0
    body = {"choice": "no", "nonce": nonce()}
    answers = all_at_once([lambda: cast_in_thread(engine, poll_id, voter, body)] * 50)
    assert all(isinstance(answer, BallotAck) for answer in answers), answers
    assert (
        len({answer.model_dump_json() for answer in answers if isinstance(answer, BallotAck)}) == 1
    )
    assert stored(room.session, poll) == 1


def test_two_nonces_racing_for_one_voter_leave_one_ballot(room: Room, engine: Engine) -> None:
    poll = room.open()
    assert poll.id is not None
    poll_id, voter = poll.id, room.delegates[0].id or 0
    jobs = [
        (lambda n=n: cast_in_thread(engine, poll_id, voter, {"choice": "yes", "nonce": nonce()}))
        for n in range(20)
    ]
    answers = all_at_once(jobs)
    acked = [answer for answer in answers if isinstance(answer, BallotAck)]
    assert len(acked) == 1
    assert all(type(a).__name__ == "AlreadyVotedError" for a in answers if a not in acked)
    assert stored(room.session, poll) == 1


def wait_for_ballots(engine: Engine, poll: Poll, count: int) -> None:
    with Session(engine) as session:
        for _ in range(500):
            if stored(session, poll) >= count:
                return
            time.sleep(0.01)
    raise AssertionError("the early ballots never arrived")


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_closes_racing_with_casts(
    crowd: tuple[Room, list[int]], engine: Engine, secret: bool
) -> None:
    """Early casts land before the close; late ones start as the closes start and race them."""
    room, voters = crowd
    poll = room.open(secret=secret)
    assert poll.id is not None
    poll_id = poll.id
    closing = threading.Event()

    def caster(voter: int, *, late: bool) -> Callable[[], BallotAck]:
        delay = (voter % 16) / 100  # the late ones spread over 150 ms after the closes start

        def job() -> BallotAck:
            if late:
                closing.wait(timeout=30)
                time.sleep(delay)
            return cast_in_thread(engine, poll_id, voter, {"choice": "yes", "nonce": nonce()})

        return job

    def closer() -> dict[str, Any]:
        wait_for_ballots(engine, poll, 20)
        closing.set()
        return close_in_thread(engine, poll_id)

    jobs: list[Callable[[], Any]] = [caster(v, late=n >= 40) for n, v in enumerate(voters[:80])]
    jobs += [closer] * 5
    answers = all_at_once(jobs)
    casts, closes = answers[:80], answers[80:]
    assert all(isinstance(answer, dict) for answer in closes), closes
    result = closes[0]
    assert all(answer == result for answer in closes)
    acked = [answer for answer in casts if isinstance(answer, BallotAck)]
    refused = [answer for answer in casts if not isinstance(answer, BallotAck)]
    assert all(isinstance(error, PollClosedError) for error in refused), refused
    assert len(acked) >= 20
    # Every acknowledged ballot is in the result, and nothing else was stored.
    assert result["ballots"] == len(acked) == stored(room.session, poll)
    room.session.refresh(poll)
    assert poll.result == result
