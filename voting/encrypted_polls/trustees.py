"""Entries the trustees' devices post to the board (spec §7, §14.1, §15.5): each is checked
against the board (who posts it, its phase, its proofs) before it is appended, under the
poll's lock; the server's own entries that follow (`ready`, `abandoned`, `result`) are appended
in the same transaction, with an event that lets every screen of the meeting follow the
committee in counts (`poll.key_setup` for the managers, then `poll.decryption`)."""

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from core.audit import audit
from models import Audience, Person, Poll, PollStatus
from models.events import record_event
from voting.encrypted import dkg, tally
from voting.encrypted.audit import COMPLAINTS
from voting.encrypted.board import poll_hash
from voting.encrypted.canonical import check_subset
from voting.encrypted.elgamal import decode_ciphertext
from voting.encrypted.errors import ProtocolError
from voting.encrypted.order import BODY_FIELDS, check_order
from voting.encrypted_polls import results, store
from voting.encrypted_polls.access import require_trustee
from voting.encrypted_polls.errors import BoardEntryRefusedError, InvalidBoardEntryError
from voting.locking import locked_poll

Board = list[dict[str, Any]]
# The body field that names the trustee an entry speaks for.
SPEAKER = {
    "trustee": "trustee",
    "shares": "dealer",
    "confirm": "trustee",
    "share-complaint": "trustee",
    "partial": "trustee",
}
SETUP = frozenset({"trustee", "shares", "confirm", "share-complaint"})


def post_trustee_entry(
    *, session: Session, poll_id: int, person: Person, kind: str, body: dict[str, Any]
) -> list[dict[str, Any]]:
    """Check and append the trustee's entry; returns every entry appended (the trustee's,
    then any the server adds because of it). Commits."""
    _check_shape(kind, body)
    with locked_poll(session, poll_id, exclusive=True) as poll:
        store.require_encrypted(poll)
        board = store.entries(session, poll_id)
        require_trustee(board, body[SPEAKER[kind]], person)
        _check_phase(poll, board, kind, body)
        before = len(board)
        try:
            _HANDLERS[kind](session, poll, board, body)
        except ProtocolError as error:
            raise InvalidBoardEntryError(f"The board entry was refused ({error.check})") from None
        _count_event(session, poll, board)
        session.commit()
    return board[before:]


def _check_shape(kind: str, body: dict[str, Any]) -> None:
    if kind not in SPEAKER:
        raise InvalidBoardEntryError("Trustees post trustee, shares, confirm, complaint or partial")
    if set(body) != BODY_FIELDS[kind]:
        raise InvalidBoardEntryError("The entry's body does not have exactly its fields")
    try:
        check_subset(body)
    except ProtocolError:
        raise InvalidBoardEntryError("The entry holds a value the board cannot take") from None


def _check_phase(poll: Poll, board: Board, kind: str, body: dict[str, Any]) -> None:
    """Setup while the poll is a draft, partials once it is closed; then the board's order
    (each kind in its phase, each trustee once)."""
    wanted = PollStatus.draft if kind in SETUP else PollStatus.closed
    if poll.status != wanted:
        raise BoardEntryRefusedError("The board does not take this entry now")
    candidate = {"index": len(board), "kind": kind, "body": body}
    try:
        check_order([*board, candidate])
    except ProtocolError:
        raise BoardEntryRefusedError("The board does not take this entry now") from None


def _trustee(session: Session, poll: Poll, board: Board, body: dict[str, Any]) -> None:
    params = store.parameters(board)
    keys = dkg.verify_trustee_body(body, poll_hash(board), params.n, params.threshold)
    if any(k.transport_key == keys.transport_key for k in store.trustee_keys(board)):
        raise ProtocolError("trustee", "transport keys are pairwise distinct")
    _append(session, poll, board, "trustee", body)


def _shares(session: Session, poll: Poll, board: Board, body: dict[str, Any]) -> None:
    dkg.check_shares_body(body, store.parameters(board).n)
    _append(session, poll, board, "shares", body)


def _confirm(session: Session, poll: Poll, board: Board, body: dict[str, Any]) -> None:
    keys = store.trustee_keys(board)
    dkg.verify_confirm_body(body, poll_hash(board), keys)
    _append(session, poll, board, "confirm", body)
    kinds = [e["kind"] for e in board]
    if kinds.count("confirm") == len(keys) and "share-complaint" not in kinds:
        _append(session, poll, board, "ready", dkg.ready_body(keys))
        _audit(session, poll, "poll.board_ready")


def _complaint(session: Session, poll: Poll, board: Board, body: dict[str, Any]) -> None:
    n = store.parameters(board).n
    dealer = body["dealer"]
    if type(dealer) is not int or not 1 <= dealer <= n or dealer == body["trustee"]:
        raise ProtocolError("share-complaint", "the dealer is another trustee")
    if body["reason"] not in COMPLAINTS:
        raise ProtocolError("share-complaint", "unknown reason")
    _append(session, poll, board, "share-complaint", body)
    # A complaint cannot be judged without the share: the setup ends (spec §7.4, §19.2).
    _append(session, poll, board, "abandoned", {"reason": "complaint"})
    _audit(session, poll, "poll.setup_abandoned")


def _partial(session: Session, poll: Poll, board: Board, body: dict[str, Any]) -> None:
    close = next(e for e in board if e["kind"] == "close")
    ready = next(e for e in board if e["kind"] == "ready")
    sums = [decode_ciphertext(s, allow_identity=True, check="close") for s in close["body"]["sums"]]
    vks = [bytes.fromhex(x) for x in ready["body"]["verification_keys"]]
    ph, close_hash = poll_hash(board), bytes.fromhex(close["hash"])
    tally.verify_partial(body, ph, close_hash, vks, sums)
    _append(session, poll, board, "partial", body)
    posted = sum(1 for e in board if e["kind"] == "partial")
    if posted == store.parameters(board).threshold:
        results.finish(session=session, poll=poll, board=board)


def _count_event(session: Session, poll: Poll, board: Board) -> None:
    """Where the committee stands, in counts only (all public on the board): during setup how
    many trustees made their keys, sent their shares and confirmed, of n; after close how many
    partial decryptions were posted, of the t needed."""
    data: dict[str, Any] = {"poll_id": poll.id, "status": str(poll.status)}
    if any(entry["kind"] == "close" for entry in board):
        kind, data = "poll.decryption", data | decryption_counts(board)
        audience = Audience.everyone
    else:
        # A draft is the managers' alone (voting.visibility.sees_poll); the trustees' own page
        # reads the board every few seconds.
        kind, data = "poll.key_setup", data | setup_counts(board)
        audience = Audience.managers
    record_event(session, meeting_id=poll.meeting_id, type=kind, data=data, audience=audience)


def setup_counts(board: Board) -> dict[str, Any]:
    """The key setup in counts: keys made, shares sent, trustees confirmed, of n."""
    kinds = [entry["kind"] for entry in board]
    params = board[0]["body"]
    return {
        "trustees": len(params["trustees"]),
        "attempt": params["attempt"],
        "keys": kinds.count("trustee"),
        "shares": kinds.count("shares"),
        "confirmed": kinds.count("confirm"),
        "ready": "ready" in kinds,
        "abandoned": "abandoned" in kinds,
    }


def decryption_counts(board: Board) -> dict[str, Any]:
    """After close: the partial decryptions posted, of the t needed, and whether the result is."""
    kinds = [entry["kind"] for entry in board]
    return {
        "done": kinds.count("partial"),
        "needed": board[0]["body"]["threshold"],
        "decrypted": "result" in kinds,
    }


def _append(session: Session, poll: Poll, board: Board, kind: str, body: dict[str, Any]) -> None:
    assert poll.id is not None
    store.append(session, poll.id, board, kind, body)


def _audit(session: Session, poll: Poll, action: str) -> None:
    audit(
        session,
        action=action,
        target_type="poll",
        target_id=poll.id,
        meeting_id=poll.meeting_id,
        detail={"title": poll.title, "secret": True},
    )


_HANDLERS: dict[str, Callable[[Session, Poll, Board, dict[str, Any]], None]] = {
    "trustee": _trustee,
    "shares": _shares,
    "confirm": _confirm,
    "share-complaint": _complaint,
    "partial": _partial,
}
