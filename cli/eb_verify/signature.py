"""The server's signature of the board (§5.4), checked only against a public key given by hand.

The digest is recomputed with this package's own transcript hash; the key is read with
`cryptography`, never through the server's classes.
"""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cli.eb_verify.errors import Unreadable
from cli.eb_verify.group import U64, h256

TAG_BOARD_HEAD = "hop-eb-v1/board-head"
FIELDS = {"algorithm", "key_id", "entries", "head", "value"}
HEX64 = re.compile(r"[0-9a-f]{64}")

VALID, INVALID, NOT_CHECKED, ABSENT = "valid", "invalid", "not checked", "absent"


@dataclass(frozen=True)
class Verdict:
    """The signature's status (one of the four above) and the report's line for it."""

    status: str
    line: str


def load_key(data: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key in a PEM file (as /.well-known/hop-result-key.pem serves it)."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise Unreadable("the key is not a PEM public key") from error
    if not isinstance(key, Ed25519PublicKey):
        raise Unreadable("the key is not an Ed25519 public key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """§5.4: the first 16 hex digits of the sha256 of the raw 32-byte public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def head_digest(poll_hash: bytes, entries: int, head: bytes) -> bytes:
    """H256("hop-eb-v1/board-head", poll_hash, int(entries), head): the signed 32 bytes."""
    return h256(TAG_BOARD_HEAD, poll_hash, entries, head)


def check_signature(document: Any, key: Ed25519PublicKey | None) -> Verdict:
    """What the report says of the board's signature, given the server's key or not."""
    if not isinstance(document, dict) or "signature" not in document:
        return Verdict(ABSENT, "absent")
    if key is None:
        return Verdict(NOT_CHECKED, "present, not checked (no --key)")
    problem = _problem(document, key)
    if problem:
        return Verdict(INVALID, f"INVALID: {problem}")
    signature = document["signature"]
    count = signature["entries"]
    covers = f"{count} {'entry' if count == 1 else 'entries'}"
    return Verdict(VALID, f"valid (key id {signature['key_id']}, covers {covers})")


def _problem(document: dict[str, Any], key: Ed25519PublicKey) -> str | None:
    signature = document["signature"]
    if not isinstance(signature, dict) or set(signature) != FIELDS:
        return f"malformed: the signature is an object with exactly {', '.join(sorted(FIELDS))}"
    if signature["algorithm"] != "Ed25519":
        return f"the algorithm is {signature['algorithm']!r}, not Ed25519"
    expected = key_id(key)
    if signature["key_id"] != expected:
        return f"signed by key id {signature['key_id']}, not the given key's {expected}"
    count, head = signature["entries"], signature["head"]
    if type(count) is not int or not 1 <= count < U64:
        return "malformed: entries is not a positive integer"
    if not isinstance(head, str) or not HEX64.fullmatch(head):
        return "malformed: head is not 64 lowercase hex digits"
    poll_hash = _poll_hash(document)
    if poll_hash is None:
        return "the board has no entry 0 whose hash the signature could cover"
    if not _verifies(key, signature["value"], head_digest(poll_hash, count, bytes.fromhex(head))):
        return f"the value does not verify with key id {expected}"
    return _coverage(document["entries"], count, head)


def _poll_hash(document: dict[str, Any]) -> bytes | None:
    entries = document.get("entries")
    first = entries[0] if isinstance(entries, list) and entries else None
    text = first.get("hash") if isinstance(first, dict) else None
    return bytes.fromhex(text) if isinstance(text, str) and HEX64.fullmatch(text) else None


def _verifies(key: Ed25519PublicKey, value: object, digest: bytes) -> bool:
    if not isinstance(value, str):
        return False
    try:
        key.verify(base64.b64decode(value, validate=True), digest)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def _coverage(entries: list[Any], count: int, head: str) -> str | None:
    """None when the good signature covers this very board; else what it covers instead."""
    last = entries[count - 1] if count <= len(entries) else None
    if count == len(entries) and isinstance(last, dict) and last.get("hash") == head:
        return None
    if last is not None and isinstance(last, dict) and last.get("hash") == head:
        return f"a good signature of the first {count} entries only, the board has {len(entries)}"
    return (
        f"a good signature of another board ({count} entries, head {head[:16]}…), "
        f"not of this one ({len(entries)} entries)"
    )
