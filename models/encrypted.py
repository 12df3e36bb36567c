"""Encrypted secret polls (hop-eb-v1, docs/ENCRYPTED_BALLOTS.md): the public board, the cast
ciphertexts and the posted Benaloh reveals, and the API's schemas for them.

The board is public and append-only: one row per entry, keyed by (poll, index). A cast
ballot's ciphertexts are kept apart from who voted (models.ballot.SecretVoter): like
SecretChoice, its table has a random primary key, no voter, no time, no sequence and, on
SQLite, no rowid, so nothing in it can be joined to the who-voted mark; the rows are rewritten
in random order at close, when the ballots go on the board sorted by tracking code.
"""

from datetime import datetime
from typing import Any

from pydantic import field_validator
from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.ballot import NONCE_PATTERN, PERMIT_PATTERN, random_id
from models.base import MAX_ID
from models.poll import PollCreate
from models.text import refuse_nul

TRACKING_PATTERN = r"^[0-9a-f]{64}$"


class BoardEntry(SQLModel, table=True):
    """One entry of a poll's board, exactly as hashed into the chain (spec §5.2)."""

    __tablename__ = "board_entry"
    poll_id: int = Field(foreign_key="poll.id", ondelete="CASCADE", primary_key=True)
    index: int = Field(primary_key=True, ge=0)
    kind: str = Field(sa_type=String(20))
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev: str = Field(max_length=64)
    hash: str = Field(max_length=64)

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "body": self.body,
            "prev": self.prev,
            "hash": self.hash,
        }


class EncryptedBallot(SQLModel, table=True):
    """A cast ballot object (spec §9.5); never who cast it, nor when, nor in which order."""

    __tablename__ = "encrypted_ballot"
    __table_args__ = (
        UniqueConstraint("poll_id", "tracking_code", name="uq_encrypted_ballot_code"),
        {"sqlite_with_rowid": False},
    )
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    poll_id: int = Field(foreign_key="poll.id", ondelete="CASCADE", index=True)
    tracking_code: str = Field(max_length=64)
    ballot: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class EncryptedReveal(SQLModel, table=True):
    """A Benaloh reveal posted by a tablet (spec §11): a spoiled ballot, never cast."""

    __tablename__ = "encrypted_reveal"
    __table_args__ = (
        UniqueConstraint("poll_id", "tracking_code", name="uq_encrypted_reveal_code"),
        {"sqlite_with_rowid": False},
    )
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    poll_id: int = Field(foreign_key="poll.id", ondelete="CASCADE", index=True)
    tracking_code: str = Field(max_length=64)
    reveal: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class EncryptedPollCreate(PollCreate):
    """A new encrypted secret poll: the poll, its vote-counting committee and the threshold
    (default: a majority of the committee)."""

    trustees: list[int] = Field(min_length=3, max_length=5)
    threshold: int | None = Field(default=None, ge=2, le=5)


class EncryptedBallotCast(SQLModel):
    """An encrypted ballot as a tablet sends it: the ballot object of spec §9.5, with the
    usual nonce (a resend with it gets the same acknowledgement), proxy and permit."""

    ballot: dict[str, Any]
    nonce: str = Field(schema_extra={"pattern": NONCE_PATTERN})
    on_behalf_of: int | None = Field(default=None, ge=1, le=MAX_ID)
    permit: str | None = Field(default=None, schema_extra={"pattern": PERMIT_PATTERN})

    _no_nul = field_validator("nonce")(refuse_nul)


class EncryptedBallotAck(SQLModel):
    """The acknowledgement of an encrypted ballot: the same for every resend of one nonce."""

    poll_id: int
    nonce: str
    received_at: datetime
    on_behalf_of: int | None = None
    tracking_code: str


class RevealPost(SQLModel):
    """A Benaloh reveal (spec §11.2) posted by the tablet that spoiled the ballot."""

    reveal: dict[str, Any]


class TrusteeEntryPost(SQLModel):
    """An entry a trustee's device posts to the board (trustee, shares, confirm,
    share-complaint, partial)."""

    kind: str = Field(max_length=20)
    body: dict[str, Any]


class BoardEntryPublic(SQLModel):
    index: int
    kind: str
    body: dict[str, Any]
    prev: str
    hash: str
