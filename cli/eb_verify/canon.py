"""Reading the board's JSON and the canonical encoding its hashes are taken over (§3.5)."""

import json
import re
from typing import Any

MAX_SAFE = 2**53 - 1
KEY = re.compile(r"[a-z][a-z0-9_]*")


class NotJson(ValueError):
    """The bytes are not a JSON document."""


class Float(float):
    """A number written with `.`, `e` or `E`: kept so that the entry holding it fails (§3.5)."""


class DuplicateKeys(dict[str, Any]):
    """An object that named a key twice: kept so that the entry holding it fails."""


def load(data: bytes) -> Any:
    """The parsed document; floats and duplicate keys survive as markers for the checks."""
    try:
        text = data.decode("utf-8")
        return json.loads(
            text, parse_float=Float, parse_constant=_constant, object_pairs_hook=_object
        )
    except UnicodeDecodeError as error:
        raise NotJson("the file is not UTF-8") from error
    except (ValueError, RecursionError) as error:
        raise NotJson(f"not JSON: {error}") from error


def _constant(name: str) -> Float:
    return Float("nan")  # NaN and Infinity are not JSON; they fail like any float


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    return DuplicateKeys(result) if len(result) != len(pairs) else result


def subset_error(value: Any) -> str | None:
    """Why a value is outside the canonical JSON subset of §3.5, or None."""
    if isinstance(value, DuplicateKeys):
        return "an object names a key twice"
    if isinstance(value, dict):
        return _object_error(value)
    if isinstance(value, list):
        return next((err for err in map(subset_error, value) if err), None)
    if isinstance(value, Float):
        return "a number that is not an integer"
    if isinstance(value, str):
        return None if _valid_unicode(value) else "a string with a lone surrogate"
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if -MAX_SAFE <= value <= MAX_SAFE else "an integer beyond 2^53 - 1"
    return "a value of an unknown type"


def _object_error(value: dict[str, Any]) -> str | None:
    for key, member in value.items():
        if not KEY.fullmatch(key):
            return f"the key {key!r} does not match ^[a-z][a-z0-9_]*$"
        error = subset_error(member)
        if error:
            return error
    return None


def _valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def canon(value: Any) -> bytes:
    """canon(value) of §3.5, for a value already inside the subset."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")
