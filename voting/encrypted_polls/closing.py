"""Closing an encrypted poll (spec §13): in the closing transaction, under the poll's lock,
every cast ballot goes on the board sorted by tracking code, then the reveals, then `close`
with the who-voted list (person ids, no times) and the per-slot sums. The poll is closed with
no result until t trustees decrypt the sums (or at once when nobody voted)."""

import random
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from models import EncryptedBallot, EncryptedReveal, Poll, SecretVoter
from voting.encrypted import tally
from voting.encrypted.elgamal import decode_ciphertext
from voting.encrypted_polls import results, store

_shuffler = random.SystemRandom()


def close_board(*, session: Session, poll: Poll) -> int:
    """Append the ballots, the reveals and `close` (the caller holds the poll's lock and
    commits). Returns the number of ballots."""
    assert poll.id is not None
    board = store.entries(session, poll.id)
    ballots = _ballots(session, poll)
    for ballot in ballots:
        store.append(session, poll.id, board, "ballot", ballot)
    for reveal in _reveals(session, poll):
        store.append(session, poll.id, board, "spoiled", reveal)
    voters = sorted(
        session.exec(select(SecretVoter.voter_id).where(SecretVoter.poll_id == poll.id))
    )
    slots = store.parameters(board).shape.size
    cts = [
        [decode_ciphertext(c, allow_identity=False, check="ballot") for c in b["ciphertexts"]]
        for b in ballots
    ]
    store.append(session, poll.id, board, "close", tally.close_body(cts, voters, slots))
    _shake(session, poll, ballots)
    return len(ballots)


def cancel_setup(*, session: Session, poll: Poll) -> None:
    """A draft cancelled during its setup: the board ends with `abandoned` (spec §7.4)."""
    assert poll.id is not None
    board = store.entries(session, poll.id)
    if not any(entry["kind"] in {"ready", "abandoned"} for entry in board):
        store.append(session, poll.id, board, "abandoned", {"reason": "cancelled"})


def finish_empty(*, session: Session, poll: Poll) -> None:
    """With no ballot there is nothing to decrypt: the result follows `close` at once."""
    assert poll.id is not None
    results.finish(session=session, poll=poll, board=store.entries(session, poll.id))


def _ballots(session: Session, poll: Poll) -> list[dict[str, Any]]:
    # Sorted here, not by the database, whose collation need not be byte order.
    rows = session.exec(select(EncryptedBallot).where(EncryptedBallot.poll_id == poll.id))
    return sorted((dict(row.ballot) for row in rows), key=lambda b: str(b["tracking_code"]))


def _reveals(session: Session, poll: Poll) -> list[dict[str, Any]]:
    rows = session.exec(select(EncryptedReveal).where(EncryptedReveal.poll_id == poll.id))
    return sorted(
        (dict(row.reveal) for row in rows), key=lambda r: str(r["ballot"]["tracking_code"])
    )


def _shake(session: Session, poll: Poll, ballots: list[dict[str, Any]]) -> None:
    """Rewrite the ciphertext rows with new random keys in random order, as secret choices are
    at close (voting.tally.shake_secret_choices): no trace of the transactions they were cast
    in stays with them."""
    assert poll.id is not None
    for row in session.exec(select(EncryptedBallot).where(EncryptedBallot.poll_id == poll.id)):
        session.expunge(row)
    session.execute(delete(EncryptedBallot).where(col(EncryptedBallot.poll_id) == poll.id))
    shuffled = list(ballots)
    _shuffler.shuffle(shuffled)
    session.add_all(
        EncryptedBallot(poll_id=poll.id, tracking_code=b["tracking_code"], ballot=b)
        for b in shuffled
    )
    session.flush()
