"""Ids inside JSON values (event data, stored poll results) mapped to an import's new ids."""

import re
from typing import Any

Maps = dict[str, dict[Any, Any]]  # map name ("person", "poll", …) → old id → new id

# Keys under which Hop's events and results hold row ids, and the map each one goes through.
ID_KEYS = {
    "person_id": "person",
    "voter_id": "person",
    "cast_by_id": "person",
    "holder_id": "person",
    "represented_id": "person",
    "operator_id": "person",
    "chair_id": "person",
    "poll_id": "poll",
    "document_id": "document",
    "meeting_id": "meeting",
    "agenda_item_id": "agenda",
    "item_id": "agenda",
    "current_item_id": "agenda",
    "version_id": "version",
    "request_id": "speech",
    "speech_id": "speech",
}


def remap(value: Any, maps: Maps) -> Any:
    """The value with every id under a known key replaced; ids not in the archive become None."""
    if isinstance(value, dict):
        return {key: _remap_item(key, item, maps) for key, item in value.items()}
    if isinstance(value, list):
        return [remap(item, maps) for item in value]
    return value


def _remap_item(key: str, value: Any, maps: Maps) -> Any:
    name = ID_KEYS.get(key)
    if name is not None and isinstance(value, int) and not isinstance(value, bool):
        return maps.get(name, {}).get(value)
    return remap(value, maps)


def remap_result(result: Any, maps: Maps) -> Any:
    """A stored poll result with its ids mapped, the document it voted on included."""
    if not isinstance(result, dict):
        return result
    mapped = remap(result, maps)
    document = mapped.get("document")
    if isinstance(document, dict) and isinstance(document.get("id"), int):
        document["id"] = maps.get("document", {}).get(document["id"])
    return mapped


# Deeper than any meeting.json Hop writes (rows hold event data a few levels deep), and far
# below the depth at which the parser or remap() would exhaust Python's stack.
MAX_DEPTH = 64
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OTHER_BYTES = bytes(byte for byte in range(256) if byte not in b"[]{}")
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")


def nesting_depth_exceeds(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text nests arrays and objects more than limit levels deep.

    Strings are blanked first (a bracket inside one does not nest), then every bracket is made
    square and the innermost pairs removed, one level per pass: all in C, at most limit passes,
    and no recursion whatever the input. (A `[` closed by `}` counts as a pair here; the JSON
    parser refuses it afterwards.)"""
    brackets = _STRING.sub(b"", raw).translate(_AS_SQUARE, delete=_OTHER_BYTES)
    for _ in range(limit):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")  # one level: the result is not scanned again
    return bool(brackets)
