"""Encrypting a choice, verifying a ballot object and checking a Benaloh reveal (spec §9, §11).

The tablet encrypts in the browser; `encrypt_ballot` serves the tests, the benchmarks and a
server-side test tablet. `verify_ballot` is what the server runs on every cast.
"""

from dataclasses import dataclass
from typing import Any

from voting.encrypted.elgamal import Ciphertext, decode_ciphertext, encrypt, weighted_sum
from voting.encrypted.errors import ProtocolError
from voting.encrypted.group import L, add, base, decode_scalar, mul, scalar_hex
from voting.encrypted.proofs import Nonces, Proof, cds_prove, cds_verify, decode_proofs, fresh
from voting.encrypted.shape import PollShape, is_valid_vector, weighted_total
from voting.encrypted.tracking import tracking_code
from voting.encrypted.transcript import TAG_PROOF_BIT, TAG_PROOF_SUM, Item

BALLOT_FIELDS = {"ciphertexts", "proofs", "sum_proof", "tracking_code"}
REVEAL_FIELDS = {"ballot", "choice", "randomness"}
BIT = (0, 1)


@dataclass(frozen=True, slots=True)
class VerifiedBallot:
    ciphertexts: list[Ciphertext]
    tracking: bytes


def _sub_nonces(nonces: Nonces, label: str) -> Nonces:
    return lambda *labels: nonces(label, *labels)


def _bit_proofs(
    cts: list[Ciphertext],
    m: list[int],
    rs: list[int],
    key: bytes,
    ctx: list[Item],
    nonces: Nonces,
) -> list[list[Proof]]:
    return [
        cds_prove(
            TAG_PROOF_BIT,
            [*ctx, o],
            key,
            ct.a,
            ct.b,
            BIT,
            rs[o],
            m[o],
            _sub_nonces(nonces, f"bit{o}"),
        )
        for o, ct in enumerate(cts)
    ]


def _sum_proof(
    shape: PollShape,
    cts: list[Ciphertext],
    m: list[int],
    rs: list[int],
    key: bytes,
    ctx: list[Item],
    nonces: Nonces,
) -> list[Proof]:
    total = weighted_sum(cts, list(shape.weights))
    r_sum = sum(w * r for w, r in zip(shape.weights, rs, strict=True)) % L
    k = shape.allowed_sums.index(weighted_total(shape, m))
    return cds_prove(
        TAG_PROOF_SUM,
        ctx,
        key,
        total.a,
        total.b,
        shape.allowed_sums,
        r_sum,
        k,
        _sub_nonces(nonces, "sum"),
    )


def encrypt_ballot(
    shape: PollShape, m: list[int], key: bytes, poll_hash: bytes, nonces: Nonces = fresh
) -> dict[str, Any]:
    """The reveal object {ballot, choice, randomness} of a valid plaintext vector m.

    Nonce labels (spec §17): ("r", o), ("bit<o>", "c"|"z", i), ("bit<o>", "w"), ("sum", ...).
    """
    if not is_valid_vector(shape, m):
        raise ProtocolError("choice", "not a valid plaintext vector for this poll")
    pairs = [encrypt(v, key, None if nonces is fresh else nonces("r", o)) for o, v in enumerate(m)]
    cts, rs = [ct for ct, _ in pairs], [r for _, r in pairs]
    tracking = tracking_code(poll_hash, cts)
    ctx: list[Item] = [poll_hash, tracking]
    ballot = {
        "ciphertexts": [ct.to_json() for ct in cts],
        "proofs": [[p.to_json() for p in bs] for bs in _bit_proofs(cts, m, rs, key, ctx, nonces)],
        "sum_proof": [p.to_json() for p in _sum_proof(shape, cts, m, rs, key, ctx, nonces)],
        "tracking_code": tracking.hex(),
    }
    return {"ballot": ballot, "choice": list(m), "randomness": [scalar_hex(r) for r in rs]}


def _check_structure(ballot: object, shape: PollShape) -> dict[str, Any]:
    if not isinstance(ballot, dict) or set(ballot) != BALLOT_FIELDS:
        raise ProtocolError("ballot_fields", "a ballot has exactly its four fields")
    for field in ("ciphertexts", "proofs"):
        if not isinstance(ballot[field], list) or len(ballot[field]) != shape.size:
            raise ProtocolError("ballot_fields", "one ciphertext and one proof per slot")
    return ballot


def verify_ballot(ballot: object, shape: PollShape, key: bytes, poll_hash: bytes) -> VerifiedBallot:
    """Every check of §9.6, in order; raises ProtocolError naming the first that fails."""
    body = _check_structure(ballot, shape)
    cts = [
        decode_ciphertext(c, allow_identity=False, check="ciphertext") for c in body["ciphertexts"]
    ]
    bits = [decode_proofs(p, 2, check="bit_proof") for p in body["proofs"]]
    sum_proof = decode_proofs(body["sum_proof"], len(shape.allowed_sums), check="sum_proof")
    tracking = tracking_code(poll_hash, cts)
    if body["tracking_code"] != tracking.hex():
        raise ProtocolError("tracking_code", "the tracking code is not the ciphertexts' hash")
    for o, (ct, proof) in enumerate(zip(cts, bits, strict=True)):
        ctx: list[Item] = [poll_hash, tracking, o]
        if not cds_verify(TAG_PROOF_BIT, ctx, key, ct.a, ct.b, BIT, proof):
            raise ProtocolError("bit_proof", "a slot's 0-or-1 proof fails")
    total = weighted_sum(cts, list(shape.weights))
    ctx2: list[Item] = [poll_hash, tracking]
    if not cds_verify(TAG_PROOF_SUM, ctx2, key, total.a, total.b, shape.allowed_sums, sum_proof):
        raise ProtocolError("sum_proof", "the weighted-sum proof fails")
    return VerifiedBallot(cts, tracking)


def _reveal_lists(reveal: dict[str, Any], shape: PollShape) -> tuple[list[int], list[int]]:
    choice, randomness = reveal["choice"], reveal["randomness"]
    if not isinstance(choice, list) or not isinstance(randomness, list):
        raise ProtocolError("reveal", "choice and randomness are lists")
    if len(choice) != shape.size or len(randomness) != shape.size:
        raise ProtocolError("reveal", "one choice and one randomness per slot")
    if not is_valid_vector(shape, choice):
        raise ProtocolError("reveal", "the revealed choice is not allowed")
    rs = [decode_scalar(r, check="reveal") for r in randomness]
    if 0 in rs:
        raise ProtocolError("reveal", "zero randomness")
    return choice, rs


def verify_reveal(reveal: object, shape: PollShape, key: bytes, poll_hash: bytes) -> list[int]:
    """The ballot verifies and was encrypted from the revealed choice: returns the choice."""
    if not isinstance(reveal, dict) or set(reveal) != REVEAL_FIELDS:
        raise ProtocolError("reveal", "a reveal has exactly ballot, choice and randomness")
    verified = verify_ballot(reveal["ballot"], shape, key, poll_hash)
    choice, rs = _reveal_lists(reveal, shape)
    for ct, m, r in zip(verified.ciphertexts, choice, rs, strict=True):
        if ct.a != base(r) or ct.b != add(base(m), mul(r, key)):
            raise ProtocolError("reveal", "the ciphertexts do not match the revealed choice")
    return choice
