"""The zero-knowledge proofs of hop-eb-v1, stored as (c, z) pairs (spec §7.2, §9.2, §14.1).

Verifiers recompute the commitments from (c, z) and compare challenges, so commitments are
never transmitted. Provers take a `nonces` source: labels in, scalar out. Production code
uses `fresh` (random); the test vectors pass a function of the labels (spec §17).
"""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voting.encrypted.errors import ProtocolError
from voting.encrypted.group import L, base, decode_scalar, mul, rand, scalar_hex, sub
from voting.encrypted.transcript import TAG_PROOF_DECRYPT, Item, hash_to_scalar

Nonces = Callable[..., int]


def fresh(*labels: str | int) -> int:
    """A random nonce; the labels only matter to deterministic test sources."""
    return rand()


@dataclass(frozen=True, slots=True)
class Proof:
    c: int
    z: int

    def to_json(self) -> dict[str, str]:
        return {"c": scalar_hex(self.c), "z": scalar_hex(self.z)}


def decode_proof(obj: object, *, check: str) -> Proof:
    """An object with exactly `c` and `z`, two canonical scalars."""
    if not isinstance(obj, dict) or set(obj) != {"c", "z"}:
        raise ProtocolError(check, "a proof is an object with exactly c and z")
    return Proof(decode_scalar(obj["c"], check=check), decode_scalar(obj["z"], check=check))


def decode_proofs(obj: object, count: int, *, check: str) -> list[Proof]:
    """A list of exactly `count` proofs."""
    if not isinstance(obj, list) or len(obj) != count:
        raise ProtocolError(check, "wrong number of proof branches")
    return [decode_proof(item, check=check) for item in obj]


def schnorr_prove(
    tag: str, poll_hash: bytes, index: int, x: int, big_x: bytes, nonces: Nonces = fresh
) -> Proof:
    """Proof of knowledge of x with X = x*G, bound to the poll and the trustee index."""
    w = nonces("w")
    c = hash_to_scalar(tag, poll_hash, index, big_x, base(w))
    return Proof(c, (w + c * x) % L)


def schnorr_verify(tag: str, poll_hash: bytes, index: int, big_x: bytes, proof: Proof) -> bool:
    w_point = sub(base(proof.z), mul(proof.c, big_x))
    return proof.c == hash_to_scalar(tag, poll_hash, index, big_x, w_point)


def _cds_commitments(key: bytes, a: bytes, b: bytes, v: int, p: Proof) -> tuple[bytes, bytes]:
    u = sub(base(p.z), mul(p.c, a))
    # b - v*G, with v*G of the few small values kept and b itself for v = 0 (b - O is b's own
    # canonical encoding): a server checks a thousand ballots in a burst (bench.voting).
    shifted = b if v == 0 else sub(b, _small_multiple(v))
    return u, sub(mul(p.z, key), mul(p.c, shifted))


@functools.lru_cache(maxsize=64)
def _small_multiple(v: int) -> bytes:
    """v*G for a branch's value (0 or 1, or one of a poll's allowed sums)."""
    return base(v)


def _cds_challenge(
    tag: str,
    ctx: Sequence[Item],
    key: bytes,
    a: bytes,
    b: bytes,
    values: Sequence[int],
    commitments: Sequence[tuple[bytes, bytes]],
) -> int:
    flat = [point for pair in commitments for point in pair]
    return hash_to_scalar(tag, *ctx, key, a, b, len(values), *values, *flat)


def cds_prove(
    tag: str,
    ctx: Sequence[Item],
    key: bytes,
    a: bytes,
    b: bytes,
    values: Sequence[int],
    r: int,
    k: int,
    nonces: Nonces = fresh,
) -> list[Proof]:
    """(a, b) encrypts values[k] under key, knowing r = log_G a; one branch per value."""
    if not 0 <= k < len(values):
        raise ValueError("the true index is not in the list")
    w = 0
    branches: list[Proof | None] = []
    commitments = []
    for i, v in enumerate(values):
        if i == k:
            w = nonces("w")
            branches.append(None)
            commitments.append((base(w), mul(w, key)))
        else:
            simulated = Proof(nonces("c", i), nonces("z", i))
            branches.append(simulated)
            commitments.append(_cds_commitments(key, a, b, v, simulated))
    c = _cds_challenge(tag, ctx, key, a, b, values, commitments)
    c_k = (c - sum(p.c for p in branches if p is not None)) % L
    real = Proof(c_k, (w + c_k * r) % L)
    return [real if p is None else p for p in branches]


def cds_verify(
    tag: str,
    ctx: Sequence[Item],
    key: bytes,
    a: bytes,
    b: bytes,
    values: Sequence[int],
    proof: Sequence[Proof],
) -> bool:
    """The challenges of the branches add up to the hash of the recomputed commitments."""
    if len(proof) != len(values):
        return False
    commitments = [_cds_commitments(key, a, b, v, p) for v, p in zip(values, proof, strict=True)]
    c = _cds_challenge(tag, ctx, key, a, b, values, commitments)
    return sum(p.c for p in proof) % L == c


def _decrypt_challenge(
    poll_hash: bytes,
    close_hash: bytes,
    j: int,
    o: int,
    vk: bytes,
    a: bytes,
    d: bytes,
    u: bytes,
    v: bytes,
) -> int:
    return hash_to_scalar(TAG_PROOF_DECRYPT, poll_hash, close_hash, j, o, vk, a, d, u, v)


def decrypt_prove(
    poll_hash: bytes,
    close_hash: bytes,
    j: int,
    o: int,
    x: int,
    vk: bytes,
    a: bytes,
    nonces: Nonces = fresh,
) -> tuple[bytes, Proof]:
    """D = x*A with a Chaum-Pedersen proof that log_G X_j = log_A D."""
    d = mul(x, a)
    w = nonces("w", o)
    c = _decrypt_challenge(poll_hash, close_hash, j, o, vk, a, d, base(w), mul(w, a))
    return d, Proof(c, (w + c * x) % L)


def decrypt_verify(
    poll_hash: bytes,
    close_hash: bytes,
    j: int,
    o: int,
    vk: bytes,
    a: bytes,
    d: bytes,
    proof: Proof,
) -> bool:
    u = sub(base(proof.z), mul(proof.c, vk))
    v = sub(mul(proof.z, a), mul(proof.c, d))
    return proof.c == _decrypt_challenge(poll_hash, close_hash, j, o, vk, a, d, u, v)
