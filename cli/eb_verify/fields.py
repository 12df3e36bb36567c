"""Reading typed fields out of entry bodies; every mismatch is a CheckFailed naming the check."""

from typing import Any

from cli.eb_verify.errors import CheckFailed
from cli.eb_verify.group import DecodeError, Point, decode_point, decode_scalar

MAX_INT = 2**53 - 1


def exact(value: Any, names: set[str], check: str, what: str) -> dict[str, Any]:
    """An object with exactly these fields (§5.2: no unknown fields)."""
    if not isinstance(value, dict):
        raise CheckFailed(check, f"{what} is not an object")
    if set(value) != names:
        missing, extra = sorted(names - set(value)), sorted(set(value) - names)
        raise CheckFailed(check, f"{what} fields differ (missing {missing}, unknown {extra})")
    return value


def integer(value: Any, check: str, what: str, low: int = 0, high: int = MAX_INT) -> int:
    """A JSON integer (never a boolean) in low..high (§3.2)."""
    if type(value) is not int or not low <= value <= high:
        raise CheckFailed(check, f"{what} is not an integer in {low}..{high}")
    return value


def string(value: Any, check: str, what: str) -> str:
    """A JSON string."""
    if not isinstance(value, str):
        raise CheckFailed(check, f"{what} is not a string")
    return value


def array(value: Any, check: str, what: str, length: int | None = None) -> list[Any]:
    """A JSON array, of exactly `length` items when given."""
    if not isinstance(value, list):
        raise CheckFailed(check, f"{what} is not a list")
    if length is not None and len(value) != length:
        raise CheckFailed(check, f"{what} has {len(value)} items, expected {length}")
    return value


def point(value: Any, check: str, what: str, *, identity: bool = False) -> Point:
    """A point field (§3.2), O only where §2.2 allows it."""
    try:
        return decode_point(value, identity=identity)
    except DecodeError as error:
        raise CheckFailed(check, f"{what}: {error}") from error


def scalar(value: Any, check: str, what: str) -> int:
    """A canonical scalar field (§3.2)."""
    try:
        return decode_scalar(value)
    except DecodeError as error:
        raise CheckFailed(check, f"{what}: {error}") from error


def proof(value: Any, check: str, what: str) -> tuple[int, int]:
    """A {"c", "z"} pair of canonical scalars."""
    pair = exact(value, {"c", "z"}, check, what)
    return scalar(pair["c"], check, f"{what}.c"), scalar(pair["z"], check, f"{what}.z")


def hex_bytes(value: Any, length: int, check: str, what: str) -> bytes:
    """Lowercase hex of exactly `length` bytes (§3.1)."""
    text = string(value, check, what)
    if len(text) != 2 * length or text.strip("0123456789abcdef"):
        raise CheckFailed(check, f"{what} is not {length} bytes of lowercase hex")
    return bytes.fromhex(text)
