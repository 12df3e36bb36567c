"""The hash-chained board (spec §5): entry hashes, appending, and the common chain check."""

import re
from typing import Any

from voting.encrypted.canonical import canon, check_subset
from voting.encrypted.errors import ProtocolError
from voting.encrypted.order import BODY_FIELDS, check_order
from voting.encrypted.parameters import PROTOCOL
from voting.encrypted.transcript import TAG_BOARD_HEAD, TAG_ENTRY, h256

GENESIS = "0" * 64
ENTRY_FIELDS = {"index", "kind", "body", "prev", "hash"}
BOARD_FIELDS = {"protocol", "poll_id", "entries"}
TOP_FIELDS = BOARD_FIELDS | {"signature"}  # the signature is optional (spec §5.4)
_HEX32 = re.compile(r"[0-9a-f]{64}")


def entry_hash(index: int, kind: str, body: dict[str, Any], prev: str) -> str:
    """hex(H256(entry, canon({body, index, kind, prev})))."""
    content = {"body": body, "index": index, "kind": kind, "prev": prev}
    return h256(TAG_ENTRY, canon(content)).hex()


def append_entry(entries: list[dict[str, Any]], kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """Chain a new entry after the last one, append it to `entries` and return it."""
    if kind not in BODY_FIELDS or set(body) != BODY_FIELDS[kind]:
        raise ProtocolError("entry_body", "unknown kind or body fields")
    index = len(entries)
    prev = entries[-1]["hash"] if entries else GENESIS
    entry = {"index": index, "kind": kind, "body": body, "prev": prev}
    entry["hash"] = entry_hash(index, kind, body, prev)
    entries.append(entry)
    return entry


def poll_hash(entries: list[dict[str, Any]]) -> bytes:
    """The 32-byte hash of entry 0, the `parameters` entry."""
    return bytes.fromhex(entries[0]["hash"])


def head_digest(entries: list[dict[str, Any]]) -> bytes:
    """What the optional server signature signs (spec §5.4)."""
    head = bytes.fromhex(entries[-1]["hash"])
    return h256(TAG_BOARD_HEAD, poll_hash(entries), len(entries), head)


def check_entry(entry: object, index: int, prev: str) -> dict[str, Any]:
    """Fields, index, prev link, canonical subset and recomputed hash of one entry."""
    if not isinstance(entry, dict) or set(entry) != ENTRY_FIELDS:
        raise ProtocolError("entry_fields", "an entry has exactly index, kind, body, prev, hash")
    check_subset(entry)
    if type(entry["index"]) is not int or entry["index"] != index:
        raise ProtocolError("entry_index", "indexes are consecutive from 0")
    if entry["prev"] != prev:
        raise ProtocolError("entry_prev", "prev is not the previous entry's hash")
    kind, body = entry["kind"], entry["body"]
    if not isinstance(kind, str) or kind not in BODY_FIELDS:
        raise ProtocolError("entry_kind", "unknown kind")
    if not isinstance(body, dict) or set(body) != BODY_FIELDS[kind]:
        raise ProtocolError("entry_body", "the body does not have exactly its kind's fields")
    if not isinstance(entry["hash"], str) or entry["hash"] != entry_hash(index, kind, body, prev):
        raise ProtocolError("entry_hash", "the hash does not match the entry")
    return entry


def check_chain(board: object) -> list[dict[str, Any]]:
    """§15.1 for a board document or prefix: top level, every entry, and the order of kinds."""
    if not isinstance(board, dict) or not BOARD_FIELDS <= set(board) <= TOP_FIELDS:
        raise ProtocolError("board", "a board has protocol, poll_id, entries (and signature)")
    entries = board["entries"]
    if board["protocol"] != PROTOCOL or not isinstance(entries, list) or not entries:
        raise ProtocolError("board", "not a hop-eb-v1 board with entries")
    prev = GENESIS
    for index, entry in enumerate(entries):
        try:
            prev = check_entry(entry, index, prev)["hash"]
        except ProtocolError as exc:
            exc.entry = index
            raise
    check_order(entries)
    if type(board["poll_id"]) is not int or board["poll_id"] != entries[0]["body"]["poll_id"]:
        raise ProtocolError("board", "poll_id differs from the parameters'")
    return entries
