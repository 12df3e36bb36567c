"""The order of entry kinds (§5.3), checked before each entry's body."""

from cli.eb_verify.errors import CheckFailed
from cli.eb_verify.state import State

RULES = {
    "parameters": "parameters only as entry 0",
    "trustee": "n trustee entries come first",
    "shares": "n shares entries follow all n trustee entries",
    "confirm": "n confirm entries follow all n shares entries",
    "share-complaint": "a complaint follows all n shares entries",
    "abandoned": "abandoned ends a setup, before ready",
    "ready": "ready follows all n confirm entries",
    "ballot": "ballots follow ready",
    "spoiled": "spoiled ballots follow the ballots",
    "close": "close follows the ballots and spoiled ballots, once",
    "partial": "partials follow a close with ballots",
    "result": "result follows close and at least t partials (none for 0 ballots)",
}


def check_order(kind: str, state: State, before: list[str]) -> None:
    """Whether an entry of this kind may come next; CheckFailed("order", why) if not."""
    if state.ended:
        raise CheckFailed("order", f"an entry after the board's last entry ({state.ended})")
    if kind not in RULES:
        raise CheckFailed("order", f"unknown kind {kind!r}")
    if before[-1] == "share-complaint" and kind != "abandoned":
        raise CheckFailed("order", "only abandoned may follow a complaint")
    if not _allowed(kind, state, before):
        raise CheckFailed("order", f"{kind} not allowed here: {RULES[kind]}")


# The kinds that may come just before each kind (§5.3 is a regular sequence).
AFTER = {
    "trustee": {"parameters", "trustee"},
    "shares": {"trustee", "shares"},
    "confirm": {"shares", "confirm"},
    "share-complaint": {"shares", "confirm"},
    "ready": {"confirm"},
    "ballot": {"ready", "ballot"},
    "spoiled": {"ready", "ballot", "spoiled"},
    "close": {"ready", "ballot", "spoiled"},
    "partial": {"close", "partial"},
    "result": {"close", "partial"},
}


def _allowed(kind: str, state: State, before: list[str]) -> bool:
    n, seen = state.p.n, before.count
    if kind == "abandoned":
        return not state.ready
    if before[-1] not in AFTER.get(kind, set()):
        return False  # includes parameters after entry 0
    if kind in {"trustee", "shares", "confirm"}:
        return seen(kind) < n and _previous_phase_full(kind, before, n)
    if kind in {"share-complaint", "ready"}:
        return seen("shares") == n and (kind != "ready" or seen("confirm") == n)
    if kind == "partial":
        return bool(state.ballots)
    if kind == "result":
        return len(state.partials) >= state.p.t if state.ballots else before[-1] == "close"
    return True


def _previous_phase_full(kind: str, before: list[str], n: int) -> bool:
    previous = {"trustee": None, "shares": "trustee", "confirm": "shares"}[kind]
    return previous is None or before.count(previous) == n
