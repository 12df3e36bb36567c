"""Reading a whole board as a trustee's device does before decrypting (spec §15.2, §15.3).

The server uses `read_setup` to get K, X_j and the ballot's shape from its own board, and the
tests use `verify_board` as a Python oracle; the independent verifier is cli/verify_poll.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from voting.encrypted import dkg, tally
from voting.encrypted.ballots import verify_ballot, verify_reveal
from voting.encrypted.board import check_chain, poll_hash
from voting.encrypted.canonical import same
from voting.encrypted.elgamal import Ciphertext
from voting.encrypted.errors import ProtocolError
from voting.encrypted.parameters import Parameters, read_parameters

COMPLAINTS = {"decrypt", "encoding", "feldman"}
ABANDON_REASONS = {"complaint", "cancelled"}

# §14.2: the keys of a result's outcome, no more and no fewer (as the other two checkers).
OUTCOME_KEYS = frozenset(
    {"verdict", "winners", "tied", "needed", "base", "present", "members", "eligible"}
    | {"quorum_met"}
)


@dataclass(frozen=True, slots=True)
class Setup:
    params: Parameters
    poll_hash: bytes
    key: bytes
    vks: list[bytes]


@dataclass
class _Walk:
    """What a reader has learnt so far, entry by entry."""

    params: Parameters
    poll_hash: bytes
    trustees: list[dkg.TrusteeKeys] = field(default_factory=list)
    setup: Setup | None = None
    ballots: list[list[Ciphertext]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    spoiled: list[str] = field(default_factory=list)
    sums: list[Ciphertext] = field(default_factory=list)
    close_hash: bytes = b""
    partials: dict[int, list[bytes]] = field(default_factory=dict)
    counts: list[int] | None = None


def _require(ok: bool, check: str, detail: str) -> None:
    if not ok:
        raise ProtocolError(check, detail)


def _setup(w: _Walk) -> Setup:
    # The order check puts `ready` before any ballot; this only narrows the type.
    if w.setup is None:
        raise ProtocolError("ready", "the board has no ready entry")
    return w.setup


def _trustee(w: _Walk, entry: dict[str, Any]) -> None:
    keys = dkg.verify_trustee_body(entry["body"], w.poll_hash, w.params.n, w.params.threshold)
    _require(
        all(k.transport_key != keys.transport_key for k in w.trustees),
        "trustee",
        "transport keys are pairwise distinct",
    )
    w.trustees = sorted([*w.trustees, keys], key=lambda k: k.index)


def _complaint(w: _Walk, entry: dict[str, Any]) -> None:
    body, n = entry["body"], w.params.n
    ok = all(type(body[f]) is int and 1 <= body[f] <= n for f in ("trustee", "dealer"))
    _require(ok and body["trustee"] != body["dealer"], "share-complaint", "trustee indexes")
    _require(body["reason"] in COMPLAINTS, "share-complaint", "unknown reason")


def _ready(w: _Walk, entry: dict[str, Any]) -> None:
    _require(same(entry["body"], dkg.ready_body(w.trustees)), "ready", "K or X_j differ")
    key, vks = entry["body"]["joint_key"], entry["body"]["verification_keys"]
    w.setup = Setup(w.params, w.poll_hash, bytes.fromhex(key), [bytes.fromhex(x) for x in vks])


def _ballot(w: _Walk, entry: dict[str, Any]) -> None:
    verified = verify_ballot(entry["body"], w.params.shape, _setup(w).key, w.poll_hash)
    code = verified.tracking.hex()
    _require(not w.codes or w.codes[-1] < code, "ballot_order", "tracking codes ascend")
    w.ballots.append(verified.ciphertexts)
    w.codes.append(code)


def _spoiled(w: _Walk, entry: dict[str, Any]) -> None:
    verify_reveal(entry["body"], w.params.shape, _setup(w).key, w.poll_hash)
    code = entry["body"]["ballot"]["tracking_code"]
    _require(code not in w.codes, "spoiled", "a revealed ballot was cast")
    _require(not w.spoiled or w.spoiled[-1] < code, "spoiled_order", "tracking codes ascend")
    w.spoiled.append(code)


def _close(w: _Walk, entry: dict[str, Any]) -> None:
    w.sums = tally.check_close(entry["body"], w.ballots, w.params.shape.size)
    w.close_hash = bytes.fromhex(entry["hash"])


def _partial(w: _Walk, entry: dict[str, Any]) -> None:
    j, ds = tally.verify_partial(entry["body"], w.poll_hash, w.close_hash, _setup(w).vks, w.sums)
    w.partials[j] = ds


def _result(w: _Walk, entry: dict[str, Any]) -> None:
    body, t, n_ballots = entry["body"], w.params.threshold, len(w.ballots)
    first = sorted(list(w.partials)[:t]) if n_ballots else []
    _require(same(body["decrypted_by"], first), "result", "decrypted_by is the first t partials")
    chosen = {j: w.partials[j] for j in first}
    counts = tally.combine(w.sums, chosen, t, n_ballots) if n_ballots else [0] * len(w.sums)
    _require(same(body["counts"], counts), "result", "the counts are not the decryption")
    _require(
        isinstance(body["outcome"], dict) and set(body["outcome"]) == OUTCOME_KEYS,
        "result",
        "outcome has exactly its nine keys",
    )
    w.counts = counts


def _shares(w: _Walk, entry: dict[str, Any]) -> None:
    dkg.check_shares_body(entry["body"], w.params.n)


def _abandoned(w: _Walk, entry: dict[str, Any]) -> None:
    _require(entry["body"]["reason"] in ABANDON_REASONS, "abandoned", "unknown reason")


def _confirm(w: _Walk, entry: dict[str, Any]) -> None:
    dkg.verify_confirm_body(entry["body"], w.poll_hash, w.trustees)


_HANDLERS: dict[str, Callable[[_Walk, dict[str, Any]], None]] = {
    "trustee": _trustee,
    "shares": _shares,
    "share-complaint": _complaint,
    "abandoned": _abandoned,
    "confirm": _confirm,
    "ready": _ready,
    "ballot": _ballot,
    "spoiled": _spoiled,
    "close": _close,
    "partial": _partial,
    "result": _result,
}


def _walk(board: object, until: str = "") -> tuple[_Walk, str]:
    entries = check_chain(board)
    try:
        w = _Walk(read_parameters(entries[0]["body"]), poll_hash(entries))
    except ProtocolError as exc:
        exc.entry = 0
        raise
    stage = "parameters"
    for entry in entries[1:]:
        stage = entry["kind"]
        try:
            _HANDLERS[stage](w, entry)
        except ProtocolError as exc:
            exc.entry = entry["index"]
            raise
        if stage == until:
            break
    return w, stage


def read_setup(board: object) -> Setup:
    """Check the board up to `ready` and return what encrypting and verifying ballots need."""
    w, _ = _walk(board, until="ready")
    return _setup(w)


@dataclass(frozen=True, slots=True)
class Summary:
    stage: str
    tracking_codes: list[str]
    counts: list[int] | None


def verify_board(board: object) -> Summary:
    """Every check of §15 on a board or prefix: the stage reached, codes and counts."""
    w, stage = _walk(board)
    return Summary(stage, w.codes, w.counts)
