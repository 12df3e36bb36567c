"""Sums of cast ballots, partial decryptions and their combination (spec §13.2, §14)."""

from typing import Any

from voting.encrypted.canonical import same
from voting.encrypted.elgamal import Ciphertext, ciphertext_sum
from voting.encrypted.errors import ProtocolError
from voting.encrypted.group import GENERATOR, IDENTITY, L, add, decode_point, mul, point_sum, sub
from voting.encrypted.proofs import Nonces, decode_proof, decrypt_prove, decrypt_verify, fresh


def slot_sums(ballots: list[list[Ciphertext]], slots: int) -> list[Ciphertext]:
    """Per slot, the component-wise sum over the ballots; (O, O) for none."""
    return [ciphertext_sum([b[o] for b in ballots]) for o in range(slots)]


def partial_body(
    poll_hash: bytes,
    close_hash: bytes,
    j: int,
    share: int,
    vk: bytes,
    sums: list[Ciphertext],
    nonces: Nonces = fresh,
) -> dict[str, Any]:
    """Trustee j's `partial` body: D_jo = x_j·A_o with a proof, for every slot o."""
    items = []
    for o, total in enumerate(sums):
        d, proof = decrypt_prove(poll_hash, close_hash, j, o, share, vk, total.a, nonces)
        items.append({"d": d.hex(), "proof": proof.to_json()})
    return {"trustee": j, "decryptions": items}


def _decryption(item: object, check: str) -> tuple[bytes, Any]:
    if not isinstance(item, dict) or set(item) != {"d", "proof"}:
        raise ProtocolError(check, "a decryption is an object with exactly d and proof")
    return decode_point(item["d"], allow_identity=True, check=check), item["proof"]


def verify_partial(
    body: object, poll_hash: bytes, close_hash: bytes, vks: list[bytes], sums: list[Ciphertext]
) -> tuple[int, list[bytes]]:
    """Every proof of a `partial` body against X_j and the sums; returns (j, [D_jo])."""
    if not isinstance(body, dict) or set(body) != {"trustee", "decryptions"}:
        raise ProtocolError("partial", "a partial has exactly trustee and decryptions")
    j, items = body["trustee"], body["decryptions"]
    if type(j) is not int or not 1 <= j <= len(vks):
        raise ProtocolError("partial", "trustee index out of 1..n")
    if not isinstance(items, list) or len(items) != len(sums):
        raise ProtocolError("partial", "one decryption per slot")
    ds = []
    for o, (item, total) in enumerate(zip(items, sums, strict=True)):
        d, raw_proof = _decryption(item, "partial")
        # D may be O only when A is: x_j·A = O with x_j ≠ 0 means A = O.
        if d == IDENTITY and total.a != IDENTITY:
            raise ProtocolError("partial", "identity decryption of a non-identity sum")
        proof = decode_proof(raw_proof, check="partial")
        if not decrypt_verify(poll_hash, close_hash, j, o, vks[j - 1], total.a, d, proof):
            raise ProtocolError("decrypt_proof", "a partial decryption proof fails")
        ds.append(d)
    return j, ds


def lagrange(j: int, indexes: list[int]) -> int:
    """λ_j(Set) = Π_{m ≠ j} m·(m − j)^-1 mod L."""
    value = 1
    for m in indexes:
        if m != j:
            value = value * m * pow((m - j) % L, L - 2, L) % L
    return value


def small_log(point: bytes, limit: int) -> int:
    """The least c in 0..limit with c·G = point, by repeated addition; raises if none."""
    current = IDENTITY
    for c in range(limit + 1):
        if current == point:
            return c
        current = add(current, GENERATOR)
    raise ProtocolError("combine", "no count up to the number of ballots decrypts")


def combine(
    sums: list[Ciphertext], partials: dict[int, list[bytes]], threshold: int, ballots: int
) -> list[int]:
    """Counts from the partials of at least t distinct trustees; refuses fewer."""
    indexes = sorted(partials)
    if len(indexes) < threshold:
        raise ProtocolError("combine", "fewer than t partial decryptions")
    if len(set(indexes)) != len(indexes) or any(j < 1 for j in indexes):
        raise ProtocolError("combine", "trustee indexes must be distinct and positive")
    weights = {j: lagrange(j, indexes) for j in indexes}
    counts = []
    for o, total in enumerate(sums):
        shared = point_sum([mul(weights[j], partials[j][o]) for j in indexes])
        counts.append(small_log(sub(total.b, shared), ballots))
    return counts


def close_body(ballots: list[list[Ciphertext]], voters: list[int], slots: int) -> dict[str, Any]:
    """The `close` body: count, who voted (ascending, distinct) and the per-slot sums."""
    ordered = sorted(set(voters))
    if len(ordered) != len(voters) or len(voters) != len(ballots):
        raise ProtocolError("close", "one distinct voter per ballot")
    sums = slot_sums(ballots, slots)
    return {"ballots": len(ballots), "voters": ordered, "sums": [s.to_json() for s in sums]}


def check_close(body: object, ballots: list[list[Ciphertext]], slots: int) -> list[Ciphertext]:
    """§15.3 on a `close` body given the verified ballots on the board; returns the sums."""
    if not isinstance(body, dict) or set(body) != {"ballots", "voters", "sums"}:
        raise ProtocolError("close", "a close has exactly ballots, voters and sums")
    voters = body["voters"]
    if type(body["ballots"]) is not int or body["ballots"] != len(ballots):
        raise ProtocolError("close", "ballots is not the number of ballot entries")
    if not isinstance(voters, list) or len(voters) != len(ballots):
        raise ProtocolError("close", "voters does not have one person per ballot")
    if any(type(v) is not int for v in voters) or voters != sorted(set(voters)):
        raise ProtocolError("close", "voters are integers, ascending and distinct")
    expected = [s.to_json() for s in slot_sums(ballots, slots)]
    if not same(body["sums"], expected):
        raise ProtocolError("close", "the sums are not the sums of the ballots")
    return slot_sums(ballots, slots)


def result_body(
    counts: list[int], decrypted_by: list[int], outcome: dict[str, Any]
) -> dict[str, Any]:
    """The `result` body; `decrypted_by` is the first t partials' trustees, ascending."""
    return {"counts": counts, "decrypted_by": sorted(decrypted_by), "outcome": outcome}
