"""Sums, partial decryptions and threshold combination (spec §13, §14)."""

import copy
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.voting.encrypted.helpers import POLL_HASH, Committee, run_dkg
from voting.encrypted import tally
from voting.encrypted.ballots import encrypt_ballot, verify_ballot
from voting.encrypted.elgamal import Ciphertext
from voting.encrypted.errors import ProtocolError
from voting.encrypted.group import IDENTITY, L, base, rand
from voting.encrypted.shape import choice_vector, derive_shape

pytestmark = pytest.mark.nodb
CLOSE_HASH = bytes(range(32))
SINGLE = derive_shape("single", ["x", "y", "z"], 1, 1)


def _cast(committee: Committee, answers: list[list[int]]) -> list[list[Ciphertext]]:
    ballots = []
    for m in answers:
        ballot = encrypt_ballot(SINGLE, m, committee.key, POLL_HASH)["ballot"]
        ballots.append(verify_ballot(ballot, SINGLE, committee.key, POLL_HASH).ciphertexts)
    return ballots


def _partials(
    committee: Committee, sums: list[Ciphertext], who: list[int]
) -> dict[int, list[bytes]]:
    out = {}
    for j in who:
        body = tally.partial_body(
            POLL_HASH, CLOSE_HASH, j, committee.shares[j], committee.vks[j - 1], sums
        )
        out[j] = tally.verify_partial(body, POLL_HASH, CLOSE_HASH, committee.vks, sums)[1]
    return out


@pytest.fixture(scope="module")
def committee() -> Committee:
    return run_dkg(4, 3)


@pytest.fixture(scope="module")
def answers() -> list[list[int]]:
    picks = [["x"], ["y"], ["x"], [], ["z"], ["x"]]
    return [choice_vector(SINGLE, p, abstain=not p) for p in picks]


def test_any_t_of_n_trustees_give_the_counts(
    committee: Committee, answers: list[list[int]]
) -> None:
    sums = tally.slot_sums(_cast(committee, answers), SINGLE.size)
    every = _partials(committee, sums, [1, 2, 3, 4])
    for subset in itertools.combinations([1, 2, 3, 4], 3):
        chosen = {j: every[j] for j in subset}
        assert tally.combine(sums, chosen, 3, len(answers)) == [3, 1, 1, 1]
    assert tally.combine(sums, every, 3, len(answers)) == [3, 1, 1, 1]


def test_fewer_than_t_cannot(committee: Committee, answers: list[list[int]]) -> None:
    sums = tally.slot_sums(_cast(committee, answers), SINGLE.size)
    two = _partials(committee, sums, [2, 4])
    with pytest.raises(ProtocolError, match="fewer than t"):
        tally.combine(sums, two, 3, len(answers))
    # Forcing the combination with t - 1 shares finds no count: their Lagrange sum is not x.
    with pytest.raises(ProtocolError, match="no count"):
        tally.combine(sums, two, 2, len(answers))


def test_a_changed_ballot_changes_the_sums(committee: Committee, answers: list[list[int]]) -> None:
    ballots = _cast(committee, answers)
    close = tally.close_body(ballots, [5, 3, 9, 1, 2, 8], SINGLE.size)
    assert close["voters"] == [1, 2, 3, 5, 8, 9]
    assert tally.check_close(close, ballots, SINGLE.size) == tally.slot_sums(ballots, 4)
    changed = [*ballots[:-1], _cast(committee, [[0, 1, 0, 0]])[0]]
    assert tally.slot_sums(changed, 4) != tally.slot_sums(ballots, 4)
    with pytest.raises(ProtocolError, match="sums"):
        tally.check_close(close, changed, SINGLE.size)
    with pytest.raises(ProtocolError):
        tally.check_close(close, ballots[:-1], SINGLE.size)


@pytest.mark.parametrize(
    "voters", [[1, 2, 3], [1, 1, 2, 3, 4, 5], [6, 5, 4, 3, 2, 1], [1, 2, 3, 4, 5, True]]
)
def test_close_rejects_bad_voter_lists(
    committee: Committee, answers: list[list[int]], voters: list[Any]
) -> None:
    ballots = _cast(committee, answers)
    body = {
        "ballots": 6,
        "voters": voters,
        "sums": [s.to_json() for s in tally.slot_sums(ballots, 4)],
    }
    with pytest.raises(ProtocolError):
        tally.check_close(body, ballots, SINGLE.size)


def test_partial_rejections(committee: Committee, answers: list[list[int]]) -> None:
    sums = tally.slot_sums(_cast(committee, answers), SINGLE.size)
    body = tally.partial_body(POLL_HASH, CLOSE_HASH, 2, committee.shares[2], committee.vks[1], sums)
    wrong = tally.partial_body(
        POLL_HASH, CLOSE_HASH, 2, committee.shares[3], committee.vks[1], sums
    )
    cases = [copy.deepcopy(body) for _ in range(6)]
    cases[0]["decryptions"][1]["d"] = wrong["decryptions"][1]["d"]
    cases[1]["decryptions"][0], cases[1]["decryptions"][1] = (
        body["decryptions"][1],
        body["decryptions"][0],
    )
    cases[2]["decryptions"][2]["d"] = IDENTITY.hex()
    cases[3]["decryptions"].pop()
    cases[4]["trustee"] = 3
    cases[5]["decryptions"][0]["proof"]["c"] = "ff" * 32
    for bad in cases:
        with pytest.raises(ProtocolError):
            tally.verify_partial(bad, POLL_HASH, CLOSE_HASH, committee.vks, sums)
    with pytest.raises(ProtocolError):
        tally.verify_partial(body, POLL_HASH, bytes(32), committee.vks, sums)


def test_zero_ballots(committee: Committee) -> None:
    sums = tally.slot_sums([], SINGLE.size)
    assert all(s == Ciphertext(IDENTITY, IDENTITY) for s in sums)
    partials = _partials(committee, sums, [1, 2, 3])
    assert all(d == IDENTITY for ds in partials.values() for d in ds)
    assert tally.combine(sums, partials, 3, 0) == [0, 0, 0, 0]


def test_lagrange_interpolates_at_zero() -> None:
    secret, slope, curve = rand(), rand(), rand()
    f = [(secret + slope * j + curve * j * j) for j in range(6)]
    for subset in ([1, 2, 3], [2, 4, 5], [1, 3, 5]):
        total = sum(tally.lagrange(j, subset) * f[j] for j in subset)
        assert base(total % L) == base(secret)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(
    st.integers(3, 5).flatmap(lambda n: st.tuples(st.just(n), st.integers(2, n))),
    st.lists(st.sampled_from(["x", "y", "z", ""]), min_size=0, max_size=5),
    st.randoms(use_true_random=False),
)
def test_threshold_tally_property(nt: tuple[int, int], picks: list[str], rnd: Any) -> None:
    n, t = nt
    committee = run_dkg(n, t)
    answers = [choice_vector(SINGLE, [p] if p else [], abstain=not p) for p in picks]
    sums = tally.slot_sums(_cast(committee, answers), SINGLE.size)
    who = sorted(rnd.sample(range(1, n + 1), t))
    expected = [sum(col) for col in zip(*answers, strict=True)] if answers else [0] * 4
    assert tally.combine(sums, _partials(committee, sums, who), t, len(answers)) == expected
