"""Canonical JSON of board entries (spec §3.5): a JCS subset without floats.

`canon` checks the subset before serialising; `parse` reads a board document and refuses
floats, NaN, duplicate keys and integers out of range, so nothing off-subset gets in.
"""

import json
import re
from typing import Any

from voting.encrypted.errors import ProtocolError

MAX_INT = 2**53 - 1
_KEY = re.compile(r"[a-z][a-z0-9_]*")


def _check_str(s: str) -> None:
    # A lone surrogate cannot be written as UTF-8; JCS requires valid Unicode.
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProtocolError("canonical_json", "string is not valid Unicode") from exc


def check_subset(value: Any) -> None:
    """Raise unless value is in the canonical JSON subset."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -MAX_INT <= value <= MAX_INT:
            raise ProtocolError("canonical_json", "integer out of range")
    elif isinstance(value, str):
        _check_str(value)
    elif isinstance(value, list):
        for item in value:
            check_subset(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not _KEY.fullmatch(key):
                raise ProtocolError("canonical_json", "object key outside ^[a-z][a-z0-9_]*$")
            check_subset(item)
    else:
        raise ProtocolError("canonical_json", "value outside the subset (a float?)")


def canon(value: Any) -> bytes:
    """The canonical UTF-8 bytes of value."""
    check_subset(value)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def _no_float(text: str) -> Any:
    raise ProtocolError("canonical_json", "floats are not allowed on the board")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ProtocolError("canonical_json", "duplicate object key")
    return obj


def parse(text: str | bytes) -> Any:
    """Read JSON, refusing anything outside the canonical subset."""
    try:
        value = json.loads(
            text, parse_float=_no_float, parse_constant=_no_float, object_pairs_hook=_unique
        )
    except (ValueError, RecursionError) as exc:  # ProtocolError is no ValueError: it passes
        raise ProtocolError("canonical_json", "not valid JSON") from exc
    check_subset(value)
    return value


def same(a: Any, b: Any) -> bool:
    """Equal as board values: Python's True == 1 must not make a boolean pass for an integer."""
    return canon(a) == canon(b)
