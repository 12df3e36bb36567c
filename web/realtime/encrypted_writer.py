"""The per-poll batch writer of encrypted ballots: web.realtime.ballot_writer's machinery,
each batch written by voting.encrypted_polls.batch.cast_encrypted_batch. The casts come in
with their proofs checked already (web.proof_pool)."""

from sqlmodel import Session

from models import EncryptedBallotAck, EncryptedBallotCast
from voting.encrypted_polls.batch import (
    EncryptedOutcome,
    PendingEncryptedCast,
    cast_encrypted_batch,
)
from web.realtime.ballot_writer import BatchWriter
from web.state import AppState, EncryptedBallotQueue


class EncryptedBallotWriter(BatchWriter[PendingEncryptedCast, EncryptedBallotAck]):
    """Verified encrypted ballots, queued per poll and written in batches."""

    async def cast(
        self,
        *,
        person_id: int,
        poll_id: int,
        cast: EncryptedBallotCast,
        meeting_id: int | None = None,
    ) -> EncryptedBallotAck:
        """The acknowledgement of this (verified) cast, or its error raised; with the socket's
        meeting, the batch checks that the person sees the poll in it."""
        return await self.submit(poll_id, PendingEncryptedCast(person_id, cast, meeting_id))

    def _cast_batch(
        self, session: Session, poll_id: int, casts: list[PendingEncryptedCast]
    ) -> list[EncryptedOutcome]:
        return cast_encrypted_batch(session=session, poll_id=poll_id, casts=casts)


def encrypted_writer(state: AppState) -> EncryptedBallotQueue:
    """The app's writer of encrypted ballots (made by the lifespan)."""
    if state.encrypted_ballots is None:
        raise RuntimeError("The encrypted ballot writer is not running")
    return state.encrypted_ballots
