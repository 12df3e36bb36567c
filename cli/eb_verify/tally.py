"""Close, partial decryptions and the result (§13, §14)."""

from typing import Any

from cli.eb_verify.canon import canon
from cli.eb_verify.errors import CheckFailed
from cli.eb_verify.fields import array, exact, integer, point, proof
from cli.eb_verify.group import (
    GENERATOR,
    IDENTITY,
    Point,
    add,
    base,
    hash_to_scalar,
    lagrange,
    mul,
    sub,
    total,
)
from cli.eb_verify.state import State

OUTCOME_FIELDS = {
    "verdict", "winners", "tied", "needed", "base", "present", "members", "eligible", "quorum_met",
}  # fmt: skip


def check_close(body: dict[str, Any], state: State) -> None:
    """§13.2: the number of ballots, the who-voted list and the sums recomputed."""
    check = "close"
    exact(body, {"ballots", "voters", "sums"}, check, "body")
    count = len(state.ballots)
    if integer(body["ballots"], check, "ballots") != count:
        raise CheckFailed(check, f"ballots is not {count}, the number of ballot entries")
    voters = [
        integer(v, check, "a voter id") for v in array(body["voters"], check, "voters", count)
    ]
    if any(left >= right for left, right in zip(voters, voters[1:], strict=False)):
        raise CheckFailed(check, "voters are not ascending and distinct")
    slots = state.p.slots
    posted = array(body["sums"], check, "sums", slots)
    for o, item in enumerate(posted):
        pair = exact(item, {"a", "b"}, check, "a sum")
        a = total([ballot[o][0] for ballot in state.ballots])
        b = total([ballot[o][1] for ballot in state.ballots])
        got = (
            point(pair["a"], check, "sum a", identity=True),
            point(pair["b"], check, "sum b", identity=True),
        )
        if got != (a, b):
            raise CheckFailed(check, f"the sum of slot {o} is not the sum of the ballots")
        state.sums.append((a, b))
    state.closed = True


def check_partial(body: dict[str, Any], state: State, close_hash: bytes) -> None:
    """§14.1: one decryption share per slot, each with its Chaum-Pedersen proof."""
    check = "partials"
    exact(body, {"trustee", "decryptions"}, check, "body")
    j = integer(body["trustee"], check, "trustee", low=1, high=state.p.n)
    if j in state.partials:
        raise CheckFailed(check, f"trustee {j} has posted a partial already")
    items = array(body["decryptions"], check, "decryptions", state.p.slots)
    x_j = state.verification_keys[j]
    shares = []
    for o, (item, (a_o, _)) in enumerate(zip(items, state.sums, strict=True)):
        pair = exact(item, {"d", "proof"}, check, "a decryption")
        d = point(pair["d"], check, "d", identity=a_o == IDENTITY)
        c, z = proof(pair["proof"], check, "proof")
        u = sub(base(z), mul(c, x_j))
        v = sub(mul(z, a_o), mul(c, d))
        transcript = (state.poll_hash, close_hash, j, o, x_j, a_o, d, u, v)
        if c != hash_to_scalar("hop-eb-v1/proof-decrypt", *transcript):
            raise CheckFailed(check, f"trustee {j}'s decryption proof of slot {o} does not verify")
        shares.append(d)
    state.partials[j] = shares


def check_result(body: dict[str, Any], state: State) -> None:
    """§14.2 and §14.3: decrypted_by, the combination giving exactly the counts, their bounds."""
    check = "result"
    exact(body, {"counts", "decrypted_by", "outcome"}, check, "body")
    expected = sorted(list(state.partials)[: state.p.t]) if state.ballots else []
    if canon(body["decrypted_by"]) != canon(expected):
        raise CheckFailed(check, f"decrypted_by is not {expected}, the first t partials' trustees")
    counts = combine(state, expected)
    if canon(body["counts"]) != canon(counts):
        raise CheckFailed(check, f"counts are not {counts}, as decrypted from the sums")
    _check_bounds(counts, state)
    outcome = exact(body["outcome"], OUTCOME_FIELDS, check, "outcome")
    state.counts = counts
    state.verdict = outcome["verdict"]
    state.ended = "result"


def combine(state: State, indexes: list[int]) -> list[int]:
    """§14.3: M_o = B_o − Σ λ_j·D_jo, then the least count c with c·G = M_o."""
    counts = []
    for o, (_, b_o) in enumerate(state.sums):
        shares = [mul(lagrange(j, indexes), state.partials[j][o]) for j in indexes]
        counts.append(_discrete_log(sub(b_o, total(shares)), len(state.ballots)))
    return counts


def _discrete_log(target: Point, limit: int) -> int:
    step = IDENTITY
    for count in range(limit + 1):
        if step == target:
            return count
        step = add(step, GENERATOR)
    raise CheckFailed("result", "a slot's sum does not decrypt to a count in 0..N")


def _check_bounds(counts: list[int], state: State) -> None:
    total_ballots = len(state.ballots)
    if state.p.kind != "multiple" and sum(counts) != total_ballots:
        raise CheckFailed("result", "the counts do not add up to the number of ballots")
    if any(count > total_ballots for count in counts):
        raise CheckFailed("result", "a count exceeds the number of ballots")
