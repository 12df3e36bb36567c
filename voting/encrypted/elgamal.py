"""Exponential ElGamal under the joint key K (spec §9.1): (a, b) = (r*G, m*G + r*K)."""

from dataclasses import dataclass

from voting.encrypted.errors import ProtocolError
from voting.encrypted.group import IDENTITY, add, base, decode_point, mul, point_sum, rand


@dataclass(frozen=True, slots=True)
class Ciphertext:
    a: bytes
    b: bytes

    def to_json(self) -> dict[str, str]:
        return {"a": self.a.hex(), "b": self.b.hex()}


def encrypt_with(m: int, key: bytes, r: int) -> Ciphertext:
    """The ciphertext of m with the given randomness (a or b may come out as O)."""
    return Ciphertext(base(r), add(base(m), mul(r, key)))


def encrypt(m: int, key: bytes, r: int | None = None) -> tuple[Ciphertext, int]:
    """Encrypt m, drawing r again in the (negligible) case a component is the identity."""
    while True:
        rr = rand() if r is None else r
        ct = encrypt_with(m, key, rr)
        if r is not None or (ct.a != IDENTITY and ct.b != IDENTITY):
            return ct, rr


def decode_ciphertext(obj: object, *, allow_identity: bool, check: str) -> Ciphertext:
    """An object with exactly `a` and `b`, two points."""
    if not isinstance(obj, dict) or set(obj) != {"a", "b"}:
        raise ProtocolError(check, "a ciphertext is an object with exactly a and b")
    a = decode_point(obj["a"], allow_identity=allow_identity, check=check)
    b = decode_point(obj["b"], allow_identity=allow_identity, check=check)
    return Ciphertext(a, b)


def ciphertext_sum(cts: list[Ciphertext]) -> Ciphertext:
    """Component-wise sum; (O, O) for no ciphertexts."""
    return Ciphertext(point_sum([c.a for c in cts]), point_sum([c.b for c in cts]))


def weighted_sum(cts: list[Ciphertext], weights: list[int]) -> Ciphertext:
    """(Σ w_o a_o, Σ w_o b_o); weight 1 skips the multiplication (same point)."""
    a = point_sum([c.a if w == 1 else mul(w, c.a) for c, w in zip(cts, weights, strict=True)])
    b = point_sum([c.b if w == 1 else mul(w, c.b) for c, w in zip(cts, weights, strict=True)])
    return Ciphertext(a, b)
