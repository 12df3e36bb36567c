"""The result of an encrypted poll (spec §14.2, §14.3): the counts from t partial
decryptions, then the verdict by the same code as every poll (voting.tally, voting.rules)."""

from typing import Any

from sqlmodel import Session

from core.audit import audit
from models import Audience, Poll
from models.events import record_event
from voting import tally
from voting.eligibility import take_roll
from voting.encrypted import tally as encrypted_tally
from voting.encrypted.elgamal import decode_ciphertext
from voting.encrypted.shape import PollShape
from voting.encrypted_polls import store

Board = list[dict[str, Any]]
OUTCOME_KEYS = (
    "verdict",
    "winners",
    "tied",
    "needed",
    "base",
    "present",
    "members",
    "eligible",
    "quorum_met",
)


def finish(*, session: Session, poll: Poll, board: Board) -> None:
    """Combine the first t partials on the board, count, decide, append `result` and store
    the result as any closed poll's (counts and verdict; no per-ballot lines)."""
    params = store.parameters(board)
    close = next(e for e in board if e["kind"] == "close")
    ballots: int = close["body"]["ballots"]
    partials = _first_partials(board, params.threshold) if ballots else {}
    counts = _counts(close, partials, params.threshold, ballots, params.shape.size)
    result = _result(session, poll, params.shape, counts, ballots)
    result["decrypted_by"] = sorted(partials)
    outcome = {key: result[key] for key in OUTCOME_KEYS}
    body = encrypted_tally.result_body(counts, sorted(partials), outcome)
    assert poll.id is not None
    store.append(session, poll.id, board, "result", body)
    poll.result = result
    session.add(poll)
    record_event(
        session,
        meeting_id=poll.meeting_id,
        type="poll.result",
        data={"poll_id": poll.id, "status": str(poll.status), "result": result},
        audience=Audience.managers,
    )
    audit(
        session,
        action="poll.decrypted",
        target_type="poll",
        target_id=poll.id,
        meeting_id=poll.meeting_id,
        detail={"title": poll.title, "secret": True, "ballots": ballots},
    )


def _first_partials(board: Board, threshold: int) -> dict[int, list[bytes]]:
    """By rule the first t `partial` entries in board order (spec §14.2)."""
    chosen = [e["body"] for e in board if e["kind"] == "partial"][:threshold]
    return {
        body["trustee"]: [bytes.fromhex(item["d"]) for item in body["decryptions"]]
        for body in chosen
    }


def _counts(
    close: dict[str, Any],
    partials: dict[int, list[bytes]],
    threshold: int,
    ballots: int,
    slots: int,
) -> list[int]:
    if ballots == 0:
        return [0] * slots
    sums = [decode_ciphertext(s, allow_identity=True, check="close") for s in close["body"]["sums"]]
    return encrypted_tally.combine(sums, partials, threshold, ballots)


def _result(
    session: Session, poll: Poll, shape: PollShape, counts: list[int], ballots: int
) -> dict[str, Any]:
    roll = take_roll(session=session, meeting_id=poll.meeting_id)
    result = tally._header(poll, roll, ballots)
    result.update(tally._votes(poll, standing_choices(shape, counts, ballots), roll))
    result["encrypted"] = True
    # No (receipt, choice) lines: nobody knows a ballot's choice. The empty list keeps the
    # readers of a secret poll's result (exports, signatures) as they are.
    result["receipts"] = []
    return result


def standing_choices(shape: PollShape, counts: list[int], ballots: int) -> list[dict[str, Any]]:
    """`ballots` answers with exactly these per-slot counts, for voting.tally to decide on as it
    does for any poll: it reads only the counts and the number of ballots, never which ballot
    held what (which nobody knows). Slot o goes to the first counts[o] of them, abstentions to
    the last ones; no count exceeds the number of ballots."""
    *options, abstentions = counts
    choices: list[dict[str, Any]] = []
    for i in range(ballots):
        chosen = [shape.slots[o] for o, count in enumerate(options) if i < count]
        choices.append({"options": chosen, "abstain": i >= ballots - abstentions})
    return choices
