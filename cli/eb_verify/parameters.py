"""The `parameters` entry (§6): its fields, and slots, weights and allowed sums derived again."""

from typing import Any

from cli.eb_verify.canon import canon
from cli.eb_verify.errors import CheckFailed
from cli.eb_verify.fields import array, exact, hex_bytes, integer, string
from cli.eb_verify.state import Parameters

CHECK = "parameters"
FIELDS = {
    "protocol", "poll_id", "meeting_id", "attempt", "board_nonce", "title", "kind", "options",
    "slots", "min_choices", "max_choices", "weights", "allowed_sums", "majority_rule",
    "trustees", "threshold",
}  # fmt: skip
KINDS = {"yes_no", "single", "multiple"}


def check_parameters(body: dict[str, Any]) -> Parameters:
    """§6.1 and §6.2; every derived list must be exactly the one on the board."""
    exact(body, FIELDS, CHECK, "body")
    if body["protocol"] != "hop-eb-v1":
        raise CheckFailed(CHECK, "protocol is not hop-eb-v1")
    for name in ("poll_id", "meeting_id"):
        integer(body[name], CHECK, name)
    integer(body["attempt"], CHECK, "attempt", low=1)
    hex_bytes(body["board_nonce"], 16, CHECK, "board_nonce")
    string(body["title"], CHECK, "title")
    if body["majority_rule"] is not None:
        string(body["majority_rule"], CHECK, "majority_rule")
    ids, labels = _options(body)
    weights, allowed = _derive(body, len(ids))
    _require(_same(body["slots"], [*ids, "abstain"]), "slots are not the option ids, then abstain")
    _require(_same(body["weights"], weights), "weights are not those of §6.2")
    _require(_same(body["allowed_sums"], allowed), "allowed_sums are not those of §6.2")
    n, t = _committee(body)
    return Parameters(
        poll_id=body["poll_id"],
        kind=body["kind"],
        title=body["title"],
        labels=[*labels, "Abstain"],
        weights=weights,
        allowed_sums=allowed,
        n=n,
        t=t,
    )


def _same(posted: Any, derived: list[Any]) -> bool:
    # Compared as canonical JSON, so that `true` never passes for the integer 1.
    return canon(posted) == canon(derived)


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise CheckFailed(CHECK, reason)


def _options(body: dict[str, Any]) -> tuple[list[str], list[str]]:
    options = array(body["options"], CHECK, "options")
    pairs = [exact(option, {"id", "label"}, CHECK, "an option") for option in options]
    ids = [string(pair["id"], CHECK, "option id") for pair in pairs]
    labels = [string(pair["label"], CHECK, "option label") for pair in pairs]
    # Slots are named by option id, so ids must tell slots apart (abstain is the last slot).
    _require(bool(ids) and len(set(ids)) == len(ids), "option ids are missing or repeated")
    _require("abstain" not in ids, "an option id is `abstain`")
    if body["kind"] == "yes_no":
        _require(ids == ["yes", "no"], "a yes_no poll's options are not yes, no")
    return ids, labels


def _derive(body: dict[str, Any], p: int) -> tuple[list[int], list[int]]:
    kind = string(body["kind"], CHECK, "kind")
    _require(kind in KINDS, "kind is not yes_no, single or multiple")
    low = integer(body["min_choices"], CHECK, "min_choices")
    high = integer(body["max_choices"], CHECK, "max_choices")
    if kind != "multiple":
        _require(low == high == 1, "min_choices and max_choices of a single choice are not 1")
        return [1] * (p + 1), [1]
    _require(low <= high <= p, "not 0 <= min_choices <= max_choices <= options")
    return [1] * p + [p + 1], [*range(low, high + 1), p + 1]


def _committee(body: dict[str, Any]) -> tuple[int, int]:
    trustees = array(body["trustees"], CHECK, "trustees")
    n = len(trustees)
    _require(3 <= n <= 5, "the committee has not 3 to 5 trustees")
    for position, trustee in enumerate(trustees, start=1):
        exact(trustee, {"index", "person_id", "name"}, CHECK, "a trustee")
        index = integer(trustee["index"], CHECK, "trustee index")
        _require(index == position, "trustee indexes are not 1..n in order")
        integer(trustee["person_id"], CHECK, "trustee person_id")
        string(trustee["name"], CHECK, "trustee name")
    t = integer(body["threshold"], CHECK, "threshold")
    _require(2 <= t <= n, "threshold is not in 2..n")
    return n, t
