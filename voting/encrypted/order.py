"""The order of entry kinds on a board (spec §5.3) and the fields of each kind's body."""

from collections.abc import Callable
from typing import Any

from voting.encrypted.errors import ProtocolError
from voting.encrypted.parameters import PARAMETER_FIELDS

BODY_FIELDS: dict[str, set[str]] = {
    "parameters": PARAMETER_FIELDS,
    "trustee": {"trustee", "transport_key", "commitments", "transport_proof", "coefficient_proof"},
    "shares": {"dealer", "shares"},
    "share-complaint": {"trustee", "dealer", "reason"},
    "confirm": {"trustee", "joint_key", "verification_key", "share_proof"},
    "abandoned": {"reason"},
    "ready": {"joint_key", "verification_keys"},
    "ballot": {"ciphertexts", "proofs", "sum_proof", "tracking_code"},
    "spoiled": {"ballot", "choice", "randomness"},
    "close": {"ballots", "voters", "sums"},
    "partial": {"trustee", "decryptions"},
    "result": {"counts", "decrypted_by", "outcome"},
}

# Which trustee index an entry speaks for, for the "each at most once" rules.
_WHO = {"trustee": "trustee", "shares": "dealer", "confirm": "trustee", "partial": "trustee"}


def _fail(index: int, detail: str) -> ProtocolError:
    return ProtocolError("entry_order", detail, entry=index)


class _Order:
    """Walks the entries once, remembering who has posted what."""

    def __init__(self, n: int, threshold: int) -> None:
        self.n, self.threshold = n, threshold
        self.seen: dict[str, set[int]] = {kind: set() for kind in _WHO}
        self.state = "parameters"
        self.ballots = 0
        self.complained = False

    def who(self, index: int, kind: str, body: dict[str, Any]) -> None:
        j = body[_WHO[kind]]
        if type(j) is not int or not 1 <= j <= self.n or j in self.seen[kind]:
            raise _fail(index, kind + " index out of 1..n or repeated")
        self.seen[kind].add(j)

    def full(self, kind: str) -> bool:
        return len(self.seen[kind]) == self.n

    def step(self, index: int, kind: str, body: dict[str, Any]) -> None:
        allowed = self.allowed()
        if kind not in allowed:
            raise _fail(index, kind + " is not allowed here")
        if kind in _WHO:
            self.who(index, kind, body)
        self.advance(kind, body)

    def allowed(self) -> set[str]:
        return _AFTER[self.state](self)

    def advance(self, kind: str, body: dict[str, Any]) -> None:
        if kind in {"abandoned", "result"}:
            self.state = "end"
        elif kind == "share-complaint":
            self.complained = True
            self.state = "confirm"
        elif kind == "close":
            ballots = body["ballots"]
            self.ballots = ballots if type(ballots) is int else -1
            self.state = "close"
        elif kind in {"trustee", "shares", "confirm", "ready", "ballot", "spoiled", "partial"}:
            self.state = kind


def _after_trustee(o: _Order) -> set[str]:
    return {"abandoned", "shares" if o.full("trustee") else "trustee"}


def _after_shares(o: _Order) -> set[str]:
    if not o.full("shares"):
        return {"shares", "abandoned"}
    return {"confirm", "share-complaint", "abandoned"}


def _after_confirm(o: _Order) -> set[str]:
    phase3 = {"share-complaint", "abandoned"} | (set() if o.full("confirm") else {"confirm"})
    return phase3 | ({"ready"} if o.full("confirm") and not o.complained else set())


def _after_close(o: _Order) -> set[str]:
    if o.ballots == 0:
        return {"result"}
    return {"partial"}


def _after_partial(o: _Order) -> set[str]:
    more = set() if o.full("partial") else {"partial"}
    return more | ({"result"} if len(o.seen["partial"]) >= o.threshold else set())


_AFTER: dict[str, Callable[[_Order], set[str]]] = {
    "parameters": lambda o: {"trustee", "abandoned"},
    "trustee": _after_trustee,
    "shares": _after_shares,
    "confirm": _after_confirm,
    "ready": lambda o: {"ballot", "spoiled", "close"},
    "ballot": lambda o: {"ballot", "spoiled", "close"},
    "spoiled": lambda o: {"spoiled", "close"},
    "close": _after_close,
    "partial": _after_partial,
    "end": lambda o: set(),
}


def _size(params: dict[str, Any]) -> tuple[int, int]:
    trustees, threshold = params.get("trustees"), params.get("threshold")
    if not isinstance(trustees, list) or type(threshold) is not int:
        raise _fail(0, "parameters without trustees or threshold")
    return len(trustees), threshold


def check_order(entries: list[dict[str, Any]]) -> None:
    """`parameters` first, then the kinds in the order of §5.3 (a prefix is fine)."""
    if entries[0]["kind"] != "parameters":
        raise _fail(0, "the first entry is parameters")
    order = _Order(*_size(entries[0]["body"]))
    for entry in entries[1:]:
        order.step(entry["index"], entry["kind"], entry["body"])
