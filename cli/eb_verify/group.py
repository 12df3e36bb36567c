"""ristretto255 through libsodium (rbcl), and the spec's transcripts and hashes (§2, §3)."""

import hashlib
import re

import rbcl

L = 2**252 + 27742317777372353535851937790883648493
IDENTITY = bytes(32)
GENERATOR = bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")
U64 = 2**64
HEX64 = re.compile(r"[0-9a-f]{64}")

Point = bytes  # a canonical 32-byte encoding; equality of encodings is equality of points
Item = bytes | str | int


class DecodeError(ValueError):
    """A field is not a canonical point or scalar."""


def le32(scalar: int) -> bytes:
    """A scalar as 32 bytes little-endian (§3.1)."""
    return (scalar % L).to_bytes(32, "little")


def decode_point(text: object, *, identity: bool) -> Point:
    """§3.2: 64 lowercase hex digits of a canonical encoding; O only where §2.2 allows it."""
    if not isinstance(text, str) or not HEX64.fullmatch(text):
        raise DecodeError("not 64 lowercase hex digits")
    raw = bytes.fromhex(text)
    if not rbcl.crypto_core_ristretto255_is_valid_point(raw):
        raise DecodeError("not a canonical ristretto255 point")
    if raw == IDENTITY and not identity:
        raise DecodeError("the identity is not allowed here")
    return raw


def decode_scalar(text: object) -> int:
    """§3.2: 64 lowercase hex digits, little-endian, below l (never reduced silently)."""
    if not isinstance(text, str) or not HEX64.fullmatch(text):
        raise DecodeError("not 64 lowercase hex digits")
    value = int.from_bytes(bytes.fromhex(text), "little")
    if value >= L:
        raise DecodeError("scalar not below the group order")
    return value


def base(scalar: int) -> Point:
    """scalar·G, O for 0 (§2.1: the plain libsodium call refuses zero)."""
    scalar %= L
    if scalar == 0:
        return IDENTITY
    return bytes(rbcl.crypto_scalarmult_ristretto255_base_allow_scalar_zero(le32(scalar)))


def mul(scalar: int, point: Point) -> Point:
    """scalar·P, O when either is zero (§2.1)."""
    scalar %= L
    if scalar == 0 or point == IDENTITY:
        return IDENTITY
    return bytes(rbcl.crypto_scalarmult_ristretto255_allow_scalar_zero(le32(scalar), point))


def add(left: Point, right: Point) -> Point:
    """P + Q (libsodium accepts O)."""
    return bytes(rbcl.crypto_core_ristretto255_add(left, right))


def sub(left: Point, right: Point) -> Point:
    """P − Q."""
    return bytes(rbcl.crypto_core_ristretto255_sub(left, right))


def total(points: list[Point]) -> Point:
    """Σ points, O for none."""
    result = IDENTITY
    for point in points:
        result = add(result, point)
    return result


def transcript(tag: str, *items: Item) -> bytes:
    """T(tag, x1..xk) of §3.3; bytes are raw (points, digests), ints are u64 big-endian."""
    return b"".join(_item(item) for item in (tag, *items))


def _item(value: Item) -> bytes:
    if isinstance(value, str):
        value = value.encode("utf-8")
    elif isinstance(value, int):
        if not 0 <= value < U64:
            raise ValueError("transcript integer out of range")
        value = value.to_bytes(8, "big")
    return len(value).to_bytes(4, "big") + value


def hash_to_scalar(tag: str, *items: Item) -> int:
    """int_le(SHA-512(T(...))) mod l (§3.4)."""
    digest = hashlib.sha512(transcript(tag, *items)).digest()
    return int.from_bytes(digest, "little") % L


def h256(tag: str, *items: Item) -> bytes:
    """SHA-256(T(...)) (§3.4)."""
    return hashlib.sha256(transcript(tag, *items)).digest()


def lagrange(index: int, indexes: list[int]) -> int:
    """λ_j(Set) at 0 (§7.7)."""
    value = 1
    for other in indexes:
        if other != index:
            value = value * other * pow((other - index) % L, L - 2, L) % L
    return value
