"""The ballot-proof pool: ballots that arrive together are checked together, each with its
own answer, and a worker that dies is replaced."""

import asyncio
import os
import signal
from types import SimpleNamespace
from typing import Any

import pytest

from voting.encrypted.ballots import encrypt_ballot
from voting.encrypted.group import base, rand
from voting.encrypted.shape import derive_shape
from web.proof_pool import MAX_JOB, ProofPool

pytestmark = pytest.mark.nodb

SHAPE = derive_shape("yes_no", ["yes", "no"], 1, 1)
KEY = base(rand())
POLL_HASH = bytes(range(32))
SETUP: Any = SimpleNamespace(params=SimpleNamespace(shape=SHAPE), key=KEY, poll_hash=POLL_HASH)


def ballot(choice: list[int]) -> dict[str, Any]:
    return dict(encrypt_ballot(SHAPE, choice, KEY, POLL_HASH)["ballot"])


def tampered(good: dict[str, Any]) -> dict[str, Any]:
    proof = good["sum_proof"][0]
    return {**good, "sum_proof": [{**proof, "c": good["proofs"][0][0]["c"]}]}


def test_a_burst_gets_one_answer_per_ballot_in_a_few_jobs() -> None:
    goods = [ballot([1, 0, 0]) for _ in range(MAX_JOB * 2 + 5)]
    bad_at = {3, MAX_JOB + 1, len(goods) - 1}
    burst = [tampered(b) if i in bad_at else b for i, b in enumerate(goods)]

    async def scenario() -> list[str | None]:
        pool = ProofPool(workers=2)
        try:
            return await asyncio.gather(*(pool.check(b, SETUP) for b in burst))
        finally:
            pool.close()

    answers = asyncio.run(scenario())
    assert [i for i, answer in enumerate(answers) if answer is not None] == sorted(bad_at)
    assert {answers[i] for i in bad_at} == {"sum_proof"}


def test_a_worker_that_dies_is_replaced_and_the_ballots_still_answered() -> None:
    good = ballot([0, 1, 0])

    async def scenario() -> list[str | None]:
        pool = ProofPool(workers=1)
        try:
            assert await pool.check(good, SETUP) is None
            executor = pool._executor
            assert executor is not None
            for pid in list(executor._processes):
                os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.2)
            return await asyncio.gather(*(pool.check(good, SETUP) for _ in range(5)))
        finally:
            pool.close()

    assert asyncio.run(scenario()) == [None] * 5


def test_a_closed_pool_refuses_with_an_error_not_a_hang() -> None:
    async def scenario() -> None:
        pool = ProofPool(workers=1)
        pool.close()
        with pytest.raises(RuntimeError, match="closed"):
            await asyncio.wait_for(pool.check(ballot([0, 0, 1]), SETUP), timeout=10)

    asyncio.run(scenario())


def test_a_reveal_is_checked_in_a_worker_and_a_lying_one_is_named() -> None:
    reveal = dict(encrypt_ballot(SHAPE, [0, 1, 0], KEY, POLL_HASH))
    lying = {**reveal, "choice": [1, 0, 0]}  # not what was encrypted

    async def scenario() -> tuple[str | None, str | None]:
        pool = ProofPool(workers=1)
        try:
            return await pool.check_reveal(reveal, SETUP), await pool.check_reveal(lying, SETUP)
        finally:
            pool.close()

    honest, caught = asyncio.run(scenario())
    assert honest is None
    assert caught is not None
