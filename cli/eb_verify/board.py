"""Walking a board: the chain first (§15.1), then every entry in order (§15.6)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from cli.eb_verify import ballots, dkg, tally
from cli.eb_verify.chain import GENESIS, check_document, check_entry, entries_of
from cli.eb_verify.errors import CheckFailed
from cli.eb_verify.order import check_order
from cli.eb_verify.parameters import check_parameters
from cli.eb_verify.report import Failure, Report
from cli.eb_verify.signature import check_signature
from cli.eb_verify.state import State

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GROUP = {
    "parameters": "parameters",
    "trustee": "trustees",
    "shares": "shares",
    "confirm": "confirm",
    "share-complaint": "setup",
    "abandoned": "setup",
    "ready": "ready",
    "ballot": "ballots",
    "spoiled": "spoiled",
    "close": "close",
    "partial": "partials",
    "result": "result",
}


def verify_board(document: Any, key: "Ed25519PublicKey | None" = None) -> Report:
    """Check a parsed board document, and its signature (§5.4) when given the server's key;
    Unreadable when it is not a board at all."""
    entries = entries_of(document)
    report = Report(entries=len(entries), poll_id=document.get("poll_id"))
    verdict = check_signature(document, key)
    report.signature, report.signature_status = verdict.line, verdict.status
    report.signature_required = key is not None
    state = State()
    try:
        _walk(document, entries, report, state)
    except _Stop as stop:
        report.failure = stop.failure
    report.stage = _stage(state) if report.failure is None else _stopped(report)
    report.codes = dict.fromkeys(state.cast_codes, "cast")
    report.codes.update((code, "spoiled") for code in state.spoiled_codes)
    return report


class _Stop(Exception):
    def __init__(self, failure: Failure) -> None:
        self.failure = failure


def _walk(document: dict[str, Any], entries: list[Any], report: Report, state: State) -> None:
    with _at(None, None):
        check_document(document)
    report.passed("document")
    prev = GENESIS
    for position, entry in enumerate(entries):
        with _at(position, _kind(entry)):
            prev = check_entry(entry, position, prev)
        report.passed("chain")
    report.head = prev if entries else ""
    if not entries:
        raise _Stop(Failure(None, None, "order", "the board has no parameters entry"))
    kinds: list[str] = []
    for position, entry in enumerate(entries):
        with _at(position, entry["kind"]):
            _entry(entry, kinds, state, document, report)
        kinds.append(entry["kind"])
        report.passed("order")
        report.passed(GROUP[entry["kind"]])


@contextmanager
def _at(index: int | None, kind: str | None) -> Iterator[None]:
    """Turn a failed check into the report's failure at this entry."""
    try:
        yield
    except CheckFailed as failed:
        raise _Stop(Failure(index, kind, failed.check, failed.reason)) from failed
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
        # A shape no check foresaw: still a failed board, never a traceback for the user.
        group = GROUP.get(kind or "", "chain")
        reason = f"malformed entry (unexpected {type(error).__name__}: {error})"
        raise _Stop(Failure(index, kind, group, reason)) from error


def _kind(entry: Any) -> str | None:
    kind = entry.get("kind") if isinstance(entry, dict) else None
    return kind if isinstance(kind, str) else None


def _entry(
    entry: dict[str, Any],
    kinds_before: list[str],
    state: State,
    document: dict[str, Any],
    report: Report,
) -> None:
    kind, body = entry["kind"], entry["body"]
    if not kinds_before:
        if kind != "parameters":
            raise CheckFailed("order", "entry 0 is not parameters")
        _parameters(body, entry, state, document, report)
        return
    check_order(kind, state, kinds_before)
    if kind == "ballot":
        _ballot(body, state)
    elif kind == "spoiled":
        _spoiled(body, state)
    elif kind == "close":
        tally.check_close(body, state)
        state.close_hash = bytes.fromhex(entry["hash"])
    elif kind == "partial":
        tally.check_partial(body, state, state.close_hash)
    else:
        SIMPLE[kind](body, state)
    if kind == "result":
        report.counts = list(zip(state.p.labels, state.counts or [], strict=True))
        report.verdict = state.verdict


def _parameters(
    body: dict[str, Any],
    entry: dict[str, Any],
    state: State,
    document: dict[str, Any],
    report: Report,
) -> None:
    state.params = check_parameters(body)
    state.poll_hash = bytes.fromhex(entry["hash"])
    report.title = state.params.title
    if document["poll_id"] != state.params.poll_id:
        raise CheckFailed("document", "poll_id is not the parameters' poll_id")


def _ballot(body: dict[str, Any], state: State) -> None:
    ciphertexts = ballots.verify_ballot(body, state.p, state.joint_key, state.poll_hash, "ballots")
    code = str(body["tracking_code"])
    if state.cast_codes and code <= state.cast_codes[-1]:
        raise CheckFailed(
            "ballots", "tracking codes are not strictly ascending (order or duplicate)"
        )
    state.cast_codes.append(code)
    state.ballots.append(ciphertexts)


def _spoiled(body: dict[str, Any], state: State) -> None:
    code = ballots.verify_reveal(body, state.p, state.joint_key, state.poll_hash, "spoiled")
    if code in state.cast_codes:
        raise CheckFailed("spoiled", "a revealed ballot's tracking code is a cast ballot's")
    if state.spoiled_codes and code <= state.spoiled_codes[-1]:
        raise CheckFailed(
            "spoiled", "tracking codes are not strictly ascending (order or duplicate)"
        )
    state.spoiled_codes.append(code)


SIMPLE: dict[str, Callable[[dict[str, Any], State], None]] = {
    "trustee": dkg.check_trustee,
    "shares": dkg.check_shares,
    "confirm": dkg.check_confirm,
    "share-complaint": dkg.check_complaint,
    "abandoned": dkg.check_abandoned,
    "ready": dkg.check_ready,
    "result": tally.check_result,
}


def _stopped(report: Report) -> str:
    failure = report.failure
    where = "the document" if failure is None or failure.index is None else f"entry {failure.index}"
    return f"unknown: the checks stopped at {where}"


def _stage(state: State) -> str:
    if state.params is None:
        return "no parameters"
    if state.ended:
        return "setup " + state.ended if state.ended.startswith("abandoned") else "result posted"
    if state.closed:
        return f"closed, {len(state.partials)} of {state.p.t} partial decryptions"
    if state.ballots or state.spoiled_codes:
        return "closing: ballots being posted (no close entry yet)"
    if state.ready:
        return "ready: keys set up, voting may be open"
    return (
        f"setup: {len(state.transport_keys)}/{state.p.n} trustee, {len(state.dealers)}/"
        f"{state.p.n} shares, {len(state.confirmed)}/{state.p.n} confirm entries"
    )
