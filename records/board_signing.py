"""An encrypted poll's board signed with the server's result-signing key (hop-eb-v1, §5.4).

The board is signed as it is served: the signature names the number of entries and the head it
covers, so a copy downloaded before an entry was appended still verifies, for that prefix.
"""

import base64
from typing import Any

from records.result_signing import ALGORITHM, key_id, result_key
from voting.encrypted.board import head_digest


def board_signature(entries: list[dict[str, Any]], secret_key: str) -> dict[str, Any]:
    """The `signature` object of §5.4 over these entries (at least the parameters entry)."""
    if not entries:
        raise ValueError("an empty board is not signed")
    private = result_key(secret_key)
    return {
        "algorithm": ALGORITHM,
        "key_id": key_id(private.public_key()),
        "entries": len(entries),
        "head": entries[-1]["hash"],
        "value": base64.b64encode(private.sign(head_digest(entries))).decode("ascii"),
    }


def signed_board(document: dict[str, Any], secret_key: str) -> dict[str, Any]:
    """The board document with its signature; a board without entries is served unsigned."""
    entries = document["entries"]
    if not entries or not secret_key:
        return document
    return {**document, "signature": board_signature(entries, secret_key)}
