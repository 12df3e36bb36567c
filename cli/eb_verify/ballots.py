"""Ballots (§9, §10) and Benaloh reveals (§11.3)."""

from typing import Any

from cli.eb_verify.errors import CheckFailed
from cli.eb_verify.fields import array, exact, integer, point, proof, scalar
from cli.eb_verify.group import (
    Item,
    L,
    Point,
    add,
    base,
    h256,
    hash_to_scalar,
    mul,
    sub,
    total,
)
from cli.eb_verify.state import Parameters

BALLOT_FIELDS = {"ciphertexts", "proofs", "sum_proof", "tracking_code"}
Ciphertext = tuple[Point, Point]


def cds_ok(
    tag: str,
    ctx: list[Item],
    key: Point,
    a: Point,
    b: Point,
    values: list[int],
    branches: list[tuple[int, int]],
) -> bool:
    """cds_verify of §9.2: commitments recomputed, challenges must add up to the hash."""
    commitments: list[Item] = []
    for value, (c, z) in zip(values, branches, strict=True):
        commitments.append(sub(base(z), mul(c, a)))
        commitments.append(sub(mul(z, key), mul(c, sub(b, base(value)))))
    expected = hash_to_scalar(tag, *ctx, key, a, b, len(values), *values, *commitments)
    return sum(c for c, _ in branches) % L == expected


def tracking(poll_hash: bytes, ciphertexts: list[Ciphertext]) -> bytes:
    """The tracking code of §10."""
    flat = [part for pair in ciphertexts for part in pair]
    return h256("hop-eb-v1/tracking", poll_hash, len(ciphertexts), *flat)


def verify_ballot(
    ballot: Any, params: Parameters, key: Point, poll_hash: bytes, check: str
) -> list[Ciphertext]:
    """verify_ballot of §9.6; returns the ciphertexts."""
    exact(ballot, BALLOT_FIELDS, check, "ballot")
    slots = params.slots
    ciphertexts = [
        _ciphertext(item, check)
        for item in array(ballot["ciphertexts"], check, "ciphertexts", slots)
    ]
    bits = [
        _branches(item, 2, check, "a slot proof")
        for item in array(ballot["proofs"], check, "proofs", slots)
    ]
    sums = _branches(ballot["sum_proof"], len(params.allowed_sums), check, "sum_proof")
    code = tracking(poll_hash, ciphertexts)
    if ballot["tracking_code"] != code.hex():
        raise CheckFailed(check, "tracking_code is not the hash of the ciphertexts")
    for o, ((a, b), branches) in enumerate(zip(ciphertexts, bits, strict=True)):
        if not cds_ok("hop-eb-v1/proof-bit", [poll_hash, code, o], key, a, b, [0, 1], branches):
            raise CheckFailed(check, f"the 0/1 proof of slot {o} does not verify")
    a_sum = total([mul(w, a) for w, (a, _) in zip(params.weights, ciphertexts, strict=True)])
    b_sum = total([mul(w, b) for w, (_, b) in zip(params.weights, ciphertexts, strict=True)])
    if not cds_ok(
        "hop-eb-v1/proof-sum", [poll_hash, code], key, a_sum, b_sum, params.allowed_sums, sums
    ):
        raise CheckFailed(check, "the weighted-sum proof does not verify")
    return ciphertexts


def _ciphertext(item: Any, check: str) -> Ciphertext:
    pair = exact(item, {"a", "b"}, check, "a ciphertext")
    return point(pair["a"], check, "ciphertext a"), point(pair["b"], check, "ciphertext b")


def _branches(value: Any, count: int, check: str, what: str) -> list[tuple[int, int]]:
    return [proof(item, check, what) for item in array(value, check, what, count)]


def verify_reveal(reveal: Any, params: Parameters, key: Point, poll_hash: bytes, check: str) -> str:
    """verify_reveal of §11.3; returns the revealed ballot's tracking code."""
    exact(reveal, {"ballot", "choice", "randomness"}, check, "reveal")
    ciphertexts = verify_ballot(reveal["ballot"], params, key, poll_hash, check)
    slots = params.slots
    choice = [
        integer(m, check, "a choice", high=1)
        for m in array(reveal["choice"], check, "choice", slots)
    ]
    weighted = sum(w * m for w, m in zip(params.weights, choice, strict=True))
    if weighted not in params.allowed_sums:
        raise CheckFailed(check, "the revealed choice is not an allowed one")
    randomness = array(reveal["randomness"], check, "randomness", slots)
    for o, ((a, b), m, item) in enumerate(zip(ciphertexts, choice, randomness, strict=True)):
        r = scalar(item, check, "a randomness")
        if r == 0 or a != base(r) or b != _encrypt(m, r, key):
            raise CheckFailed(check, f"slot {o} is not the encryption of the revealed choice")
    return str(reveal["ballot"]["tracking_code"])


def _encrypt(m: int, r: int, key: Point) -> Point:
    return add(base(m), mul(r, key))
