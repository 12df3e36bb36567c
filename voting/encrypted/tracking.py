"""Tracking codes: the hash of a ballot's ciphertexts, and the form shown to voters (spec §10)."""

from voting.encrypted.elgamal import Ciphertext
from voting.encrypted.transcript import TAG_TRACKING, h256

# Crockford's base 32, as in voting/secrecy.py: no I, L, O or U to misread.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
DISPLAY_CHARS = 16


def tracking_code(poll_hash: bytes, cts: list[Ciphertext]) -> bytes:
    """H256(tracking, poll_hash, S, a_0, b_0, ...): 32 bytes."""
    points = [p for ct in cts for p in (ct.a, ct.b)]
    return h256(TAG_TRACKING, poll_hash, len(cts), *points)


def display_code(code: bytes) -> str:
    """The first 80 bits as 16 Crockford characters in 4 groups, e.g. XQCE-9QAQ-FNMW-NKCD."""
    number = int.from_bytes(code[:10], "big")
    chars = [_ALPHABET[(number >> (5 * (15 - i))) & 31] for i in range(DISPLAY_CHARS)]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, DISPLAY_CHARS, 4))


def read_display_code(text: str) -> str | None:
    """What a person typed, as the displayed form; None when it cannot be one."""
    cleaned = text.upper().replace("-", "").replace(" ", "").translate(_READ_AS)
    if len(cleaned) != DISPLAY_CHARS or any(ch not in _ALPHABET for ch in cleaned):
        return None
    return "-".join(cleaned[i : i + 4] for i in range(0, DISPLAY_CHARS, 4))
