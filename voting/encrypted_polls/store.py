"""A poll's board in the database: read it, append to it, and what casting needs from it.

Appending is always done by a caller that holds the poll's lock (voting.locking) and re-reads
the board under it, so two appends can never fork the chain; the new rows are written in the
caller's transaction, with the state change they record (spec §5.2).
"""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from models import BoardEntry, Poll
from voting.encrypted import dkg
from voting.encrypted.board import append_entry
from voting.encrypted.parameters import PROTOCOL, Parameters, read_parameters
from voting.encrypted_polls.errors import BoardNotReadyError, NotEncryptedPollError


def entries(session: Session, poll_id: int) -> list[dict[str, Any]]:
    """The board's entries in order, as JSON objects."""
    rows = session.exec(
        select(BoardEntry).where(BoardEntry.poll_id == poll_id).order_by(col(BoardEntry.index))
    )
    return [row.as_json() for row in rows]


def document(session: Session, poll_id: int) -> dict[str, Any]:
    """The board document of spec §5.1, unsigned (records.board_signing signs it, §5.4)."""
    return {"protocol": PROTOCOL, "poll_id": poll_id, "entries": entries(session, poll_id)}


def append(
    session: Session, poll_id: int, board: list[dict[str, Any]], kind: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Chain the entry after `board` (read under the poll's lock), extend it, and add its row."""
    entry = append_entry(board, kind, body)
    session.add(BoardEntry(poll_id=poll_id, **entry))
    session.flush()
    return entry


def require_encrypted(poll: Poll) -> None:
    if not poll.encrypted:
        raise NotEncryptedPollError("This poll is not an encrypted secret ballot")


def parameters(board: list[dict[str, Any]]) -> Parameters:
    return read_parameters(board[0]["body"])


def trustee_keys(board: list[dict[str, Any]]) -> list[dkg.TrusteeKeys]:
    """The public keys of the board's `trustee` entries (checked when they were appended)."""
    keys = [
        dkg.TrusteeKeys(
            e["body"]["trustee"],
            bytes.fromhex(e["body"]["transport_key"]),
            [bytes.fromhex(c) for c in e["body"]["commitments"]],
        )
        for e in board
        if e["kind"] == "trustee"
    ]
    return sorted(keys, key=lambda k: k.index)


@dataclass(frozen=True, slots=True)
class CastSetup:
    """What verifying a ballot needs, read from the poll's own board."""

    params: Parameters
    poll_hash: bytes
    key: bytes


def is_ready(board: list[dict[str, Any]]) -> bool:
    return any(e["kind"] == "ready" for e in board)


def cast_setup(session: Session, poll: Poll) -> CastSetup:
    """K, the poll hash and the ballot's shape; every entry was checked as it was appended,
    so this reads without re-verifying the trustees' proofs."""
    require_encrypted(poll)
    assert poll.id is not None
    board = entries(session, poll.id)
    ready = next((e for e in board if e["kind"] == "ready"), None)
    if ready is None:
        raise BoardNotReadyError("The vote-counting committee has not finished setting up")
    key = bytes.fromhex(ready["body"]["joint_key"])
    return CastSetup(parameters(board), bytes.fromhex(board[0]["hash"]), key)


def require_ready(session: Session, poll: Poll) -> None:
    """Opening an encrypted poll needs the board's `ready` entry (spec §7.6)."""
    assert poll.id is not None
    if not is_ready(entries(session, poll.id)):
        raise BoardNotReadyError(
            "The vote-counting committee has not finished setting up: the poll cannot open yet"
        )
