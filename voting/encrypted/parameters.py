"""The `parameters` body (spec §6.1): built by the server, read back by everyone."""

import re
import secrets
from dataclasses import dataclass
from typing import Any

from voting.encrypted.canonical import same
from voting.encrypted.errors import ProtocolError
from voting.encrypted.shape import PollShape, derive_shape

PROTOCOL = "hop-eb-v1"
PARAMETER_FIELDS = {
    "protocol",
    "poll_id",
    "meeting_id",
    "attempt",
    "board_nonce",
    "title",
    "kind",
    "options",
    "slots",
    "min_choices",
    "max_choices",
    "weights",
    "allowed_sums",
    "majority_rule",
    "trustees",
    "threshold",
}
_NONCE = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class Parameters:
    poll_id: int
    n: int
    threshold: int
    shape: PollShape


def parameters_body(
    *,
    poll_id: int,
    meeting_id: int,
    attempt: int,
    title: str,
    kind: str,
    options: list[dict[str, str]],
    min_choices: int,
    max_choices: int,
    majority_rule: str | None,
    trustees: list[dict[str, Any]],
    threshold: int,
    board_nonce: str | None = None,
) -> dict[str, Any]:
    """The body of entry 0, with slots, weights and allowed sums derived from the poll."""
    shape = derive_shape(kind, [o["id"] for o in options], min_choices, max_choices)
    body = {
        "protocol": PROTOCOL,
        "poll_id": poll_id,
        "meeting_id": meeting_id,
        "attempt": attempt,
        "board_nonce": board_nonce or secrets.token_hex(16),
        "title": title,
        "kind": kind,
        "options": options,
        "slots": list(shape.slots),
        "min_choices": min_choices,
        "max_choices": max_choices,
        "weights": list(shape.weights),
        "allowed_sums": list(shape.allowed_sums),
        "majority_rule": majority_rule,
        "trustees": trustees,
        "threshold": threshold,
    }
    read_parameters(body)
    return body


def _int(value: object, low: int, high: int, what: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ProtocolError("parameters", what)
    return value


def _objects(value: object, fields: set[str], what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and set(v) == fields for v in value
    ):
        raise ProtocolError("parameters", what)
    return value


def _check_trustees(body: dict[str, Any]) -> tuple[int, int]:
    fields = {"index", "person_id", "name"}
    trustees = _objects(body["trustees"], fields, "trustees are {index, person_id, name}")
    n = _int(len(trustees), 3, 5, "between 3 and 5 trustees")
    if not same([t["index"] for t in trustees], list(range(1, n + 1))):
        raise ProtocolError("parameters", "trustee indexes are exactly 1..n in order")
    for t in trustees:
        _int(t["person_id"], 0, 2**53 - 1, "person ids are integers")
        if not isinstance(t["name"], str):
            raise ProtocolError("parameters", "trustee names are strings")
    return n, _int(body["threshold"], 2, n, "threshold between 2 and n")


def _check_shape(body: dict[str, Any]) -> PollShape:
    options = _objects(body["options"], {"id", "label"}, "options are {id, label}")
    if not all(isinstance(o["id"], str) and isinstance(o["label"], str) for o in options):
        raise ProtocolError("parameters", "option ids and labels are strings")
    low = _int(body["min_choices"], 0, 2**53 - 1, "min_choices is an integer")
    high = _int(body["max_choices"], 0, 2**53 - 1, "max_choices is an integer")
    shape = derive_shape(body["kind"], [o["id"] for o in options], low, high)
    stated = (body["slots"], body["weights"], body["allowed_sums"])
    if not same(list(stated), [list(shape.slots), list(shape.weights), list(shape.allowed_sums)]):
        raise ProtocolError("parameters", "slots, weights or allowed sums are not derived")
    return shape


def _check_scalars(body: dict[str, Any]) -> None:
    if body["protocol"] != PROTOCOL:
        raise ProtocolError("parameters", "protocol is not hop-eb-v1")
    for field in ("poll_id", "meeting_id"):
        _int(body[field], 0, 2**53 - 1, field + " is an integer")
    _int(body["attempt"], 1, 2**53 - 1, "attempt is at least 1")
    if not isinstance(body["board_nonce"], str) or not _NONCE.fullmatch(body["board_nonce"]):
        raise ProtocolError("parameters", "board_nonce is 16 bytes of lowercase hex")
    if not isinstance(body["title"], str):
        raise ProtocolError("parameters", "title is a string")
    if body["majority_rule"] is not None and not isinstance(body["majority_rule"], str):
        raise ProtocolError("parameters", "majority_rule is a string or null")


def read_parameters(body: object) -> Parameters:
    """Check a `parameters` body field by field and derive the ballot's shape from it."""
    if not isinstance(body, dict) or set(body) != PARAMETER_FIELDS:
        raise ProtocolError("parameters", "the parameters have exactly their fields")
    _check_scalars(body)
    n, threshold = _check_trustees(body)
    return Parameters(body["poll_id"], n, threshold, _check_shape(body))
