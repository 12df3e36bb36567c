"""ristretto255 through libsodium (rbcl): points are 32-byte encodings, scalars are ints < L.

Every multiplication goes through `base` and `mul`, which return the identity for a zero
scalar or an identity point, because the plain libsodium calls refuse both (spec §2.1).
"""

import re

import rbcl

from voting.encrypted.errors import ProtocolError

L = 2**252 + 27742317777372353535851937790883648493
IDENTITY = bytes(32)
GENERATOR = bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")
_HEX32 = re.compile(r"[0-9a-f]{64}")


def le32(s: int) -> bytes:
    """A canonical scalar as 32 little-endian bytes."""
    if not 0 <= s < L:
        raise ValueError("scalar out of range")
    return s.to_bytes(32, "little")


def rand() -> int:
    """A uniformly random scalar in 1..L-1 (libsodium's CSPRNG)."""
    while True:
        s = int.from_bytes(rbcl.crypto_core_ristretto255_scalar_random(), "little")
        if s != 0:
            return s


def base(s: int) -> bytes:
    """s*G, the identity when s = 0."""
    return rbcl.crypto_scalarmult_ristretto255_base_allow_scalar_zero(le32(s % L))


def mul(s: int, p: bytes) -> bytes:
    """s*P, the identity when s = 0 or P = O."""
    s %= L
    if s == 0 or p == IDENTITY:
        return IDENTITY
    return rbcl.crypto_scalarmult_ristretto255_allow_scalar_zero(le32(s), p)


def add(p: bytes, q: bytes) -> bytes:
    return rbcl.crypto_core_ristretto255_add(p, q)


def sub(p: bytes, q: bytes) -> bytes:
    return rbcl.crypto_core_ristretto255_sub(p, q)


def point_sum(points: list[bytes]) -> bytes:
    """The sum of the points, O for none."""
    total = IDENTITY
    for p in points:
        total = add(total, p)
    return total


def is_point(b: bytes) -> bool:
    """A canonical ristretto255 encoding (the identity included)."""
    return len(b) == 32 and rbcl.crypto_core_ristretto255_is_valid_point(b)


def decode_point(h: object, *, allow_identity: bool = False, check: str = "point") -> bytes:
    """64 lowercase hex characters of a canonical encoding; the identity only where allowed."""
    if not isinstance(h, str) or not _HEX32.fullmatch(h):
        raise ProtocolError(check, "not 64 lowercase hex characters")
    p = bytes.fromhex(h)
    if not is_point(p):
        raise ProtocolError(check, "not a canonical ristretto255 point")
    if p == IDENTITY and not allow_identity:
        raise ProtocolError(check, "the identity is not allowed here")
    return p


def decode_scalar(h: object, *, check: str = "scalar") -> int:
    """64 lowercase hex characters of a little-endian integer below L (never reduced)."""
    if not isinstance(h, str) or not _HEX32.fullmatch(h):
        raise ProtocolError(check, "not 64 lowercase hex characters")
    s = int.from_bytes(bytes.fromhex(h), "little")
    if s >= L:
        raise ProtocolError(check, "scalar not below the group order")
    return s


def scalar_hex(s: int) -> str:
    return le32(s).hex()
