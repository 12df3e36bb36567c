"""Nonce hashes and receipt codes of ballots, derived from the poll's salt and the nonce.

Only the voter's device knows the nonce, so a receipt can be given again on a resend without
being stored next to the voter: the database holds the nonce's hash beside the voter and the
receipt beside the choice, and neither can be computed from the other without the nonce.
"""

import hashlib
import secrets

# Crockford's base 32: no I, L, O or U to misread.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 10


def new_salt() -> str:
    return secrets.token_hex(16)


def _digest(salt: str, purpose: str, voter_id: int, nonce: str) -> bytes:
    return hashlib.sha256(f"{salt}|{purpose}|{voter_id}|{nonce}".encode()).digest()


def nonce_hash(*, salt: str, voter_id: int, nonce: str) -> str:
    """What is kept of a nonce: enough to recognise a resend, nothing more."""
    return _digest(salt, "nonce", voter_id, nonce).hex()


def receipt_code(*, salt: str, voter_id: int, nonce: str) -> str:
    """A short code such as 7KQ2M-XD4PA that the voter finds again in the published result."""
    number = int.from_bytes(_digest(salt, "receipt", voter_id, nonce)[:8], "big")
    chars = []
    for _ in range(RECEIPT_LENGTH):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    code = "".join(chars)
    return f"{code[:5]}-{code[5:]}"
