"""Poll results as signed JSON documents: anyone holding the server's public key can check offline
that a result is the server's, unchanged, and (secret polls) that their receipt is in it.

The Ed25519 key is derived with HKDF-SHA256 from the application's secret key, so every process
of a deployment signs with the same key without one being stored; changing the secret key
changes the key, and documents signed before then verify only with the old public key.
"""

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session

from core.errors import InvalidInputError
from models import Meeting, Person, Poll
from models.base import as_utc
from voting import polls

FORMAT = "hop-result/1"
ALGORITHM = "Ed25519"
KEY_LABEL = b"hop/result-signing/ed25519/v1"
REQUIRED_KEYS = ("format", "key_id", "signed_at", "poll", "result", "signature")


class NotASignedResultError(InvalidInputError, ValueError):
    """The bytes are not a signed poll result (bad JSON, another format, missing keys)."""


def result_key(secret_key: str) -> Ed25519PrivateKey:
    """The deployment's result-signing key, the same in every process that shares the secret."""
    if not secret_key:
        raise ValueError("a secret key is needed to sign poll results")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_LABEL)
    return Ed25519PrivateKey.from_private_bytes(hkdf.derive(secret_key.encode()))


def public_key_pem(secret_key: str) -> bytes:
    """The public half of the result-signing key, as a PEM SubjectPublicKeyInfo."""
    return (
        result_key(secret_key)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of the sha256 of the raw public key: names the key in documents."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def canonical_json(value: Any) -> bytes:
    """The one byte form that is signed: sorted keys, no spaces, UTF-8."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def signed_result(
    *, poll: Poll, result: dict[str, Any], signed_at: datetime, secret_key: str, meeting_title: str
) -> dict[str, Any]:
    """The result with the poll it belongs to, signed over its canonical JSON."""
    private = result_key(secret_key)
    document: dict[str, Any] = {
        "format": FORMAT,
        "key_id": key_id(private.public_key()),
        "signed_at": as_utc(signed_at).astimezone(UTC).isoformat(),
        "poll": {
            "id": poll.id,
            "title": poll.title,
            "kind": str(poll.kind),
            "secret": poll.secret,
            "meeting_id": poll.meeting_id,
            "meeting_title": meeting_title,
        },
        "result": result,
    }
    signature = private.sign(canonical_json(document))
    return {**document, "signature": base64.b64encode(signature).decode("ascii")}


def sign_poll_result(
    *, session: Session, poll: Poll, viewer: Person, secret_key: str, now: datetime | None = None
) -> dict[str, Any]:
    """The viewer's signed copy of a poll's result, under the same rule as the result itself."""
    result = polls.get_result(session=session, poll=poll, viewer=viewer)
    meeting = session.get(Meeting, poll.meeting_id)
    return signed_result(
        poll=poll,
        result=result,
        signed_at=now or datetime.now(UTC),
        secret_key=secret_key,
        meeting_title=meeting.title if meeting is not None else "",
    )


def verify_signed_result(document: dict[str, Any], public_key: Ed25519PublicKey | bytes) -> bool:
    """Whether the document is unchanged since the holder of this key signed it."""
    key = _public_key(public_key)
    unsigned = {name: value for name, value in document.items() if name != "signature"}
    try:
        signature = base64.b64decode(str(document.get("signature", "")), validate=True)
        key.verify(signature, canonical_json(unsigned))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return document.get("format") == FORMAT


def _public_key(public_key: Ed25519PublicKey | bytes) -> Ed25519PublicKey:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key
    loaded = serialization.load_pem_public_key(public_key)
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return loaded


def receipt_in(document: dict[str, Any], receipt: str) -> str | None:
    """The answer recorded beside this receipt in the document, or None when it is not there."""
    wanted = _receipt_key(receipt)
    result = document.get("result")
    lines = result.get("receipts") if isinstance(result, dict) else None
    for line in lines if isinstance(lines, list) else []:
        if isinstance(line, dict) and wanted and _receipt_key(str(line.get("receipt"))) == wanted:
            return str(line.get("answer", ""))
    return None


def _receipt_key(code: str) -> str:
    # People type receipts back by hand: case, spaces and dashes do not matter.
    return "".join(char for char in code.upper() if char.isalnum())


def load_signed_result(data: bytes) -> dict[str, Any]:
    """The document in these bytes; NotASignedResultError when it is not a signed result."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise NotASignedResultError("The file is not JSON.") from None
    if not isinstance(document, dict):
        raise NotASignedResultError("The file is not a signed poll result.")
    missing = [name for name in REQUIRED_KEYS if name not in document]
    if missing:
        raise NotASignedResultError("The file is not a signed poll result.")
    if document["format"] != FORMAT:
        raise NotASignedResultError("The file is not a signed poll result.")
    if not isinstance(document["result"], dict) or not isinstance(document["poll"], dict):
        raise NotASignedResultError("The signed result's poll or result is not an object.")
    return document
