"""The common `check_chain` of §15.1: the document, each entry's shape, links and hashes."""

from typing import Any

from cli.eb_verify.canon import canon, subset_error
from cli.eb_verify.errors import CheckFailed, Unreadable
from cli.eb_verify.group import h256

PROTOCOL = "hop-eb-v1"
GENESIS = "0" * 64
ENTRY_FIELDS = {"index", "kind", "body", "prev", "hash"}
TOP_FIELDS = {"protocol", "poll_id", "entries"}


def entries_of(document: Any) -> list[Any]:
    """The entry list, or Unreadable when this is not a board document at all."""
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        raise Unreadable("not a board: expected an object with an `entries` list")
    return list(document["entries"])


def check_document(document: dict[str, Any]) -> None:
    """§5.1 and §15.1.1 (the poll id is compared once the parameters are read)."""
    extra = sorted(set(document) - TOP_FIELDS - {"signature"})
    if extra or not TOP_FIELDS <= set(document):
        raise CheckFailed("document", f"top-level fields differ (unknown {extra})")
    if document["protocol"] != PROTOCOL:
        raise CheckFailed("document", "protocol is not hop-eb-v1")
    if type(document["poll_id"]) is not int:
        raise CheckFailed("document", "poll_id is not an integer")


def check_entry(entry: Any, position: int, prev: str) -> str:
    """§5.2: fields, consecutive index, link, canonical subset and hash; returns the hash."""
    if not isinstance(entry, dict) or set(entry) != ENTRY_FIELDS:
        raise CheckFailed("chain", "an entry has exactly index, kind, body, prev and hash")
    if type(entry["index"]) is not int or entry["index"] != position:
        raise CheckFailed("chain", f"index is not {position}")
    if entry["prev"] != prev:
        raise CheckFailed("chain", "prev is not the previous entry's hash")
    unhashed = {name: entry[name] for name in ("body", "index", "kind", "prev")}
    error = subset_error(unhashed)
    if error:
        raise CheckFailed("chain", f"not canonical JSON: {error}")
    if not isinstance(entry["body"], dict) or not isinstance(entry["kind"], str):
        raise CheckFailed("chain", "kind is not a string or body not an object")
    digest = h256("hop-eb-v1/entry", canon(unhashed)).hex()
    if entry["hash"] != digest:
        raise CheckFailed("chain", "hash is not the hash of the entry")
    return digest
