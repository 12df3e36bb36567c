"""Ballots. A named ballot is one row with its voter. A secret ballot is split in two tables
that share no key: who voted (SecretVoter) and what was voted (SecretChoice).

SecretChoice has a random primary key, no timestamp and, on SQLite, no rowid, so neither its
keys nor its physical order say when a row was written; closing a poll rewrites its rows in
random order (see voting.tally).
"""

import uuid
from datetime import datetime
from typing import Any

from pydantic import field_validator
from sqlalchemy import JSON, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import MAX_ID, utcnow
from models.text import refuse_nul


def random_id() -> str:
    """A random key that says nothing about when or by whom a row was written."""
    return uuid.uuid4().hex


class Ballot(SQLModel, table=True):
    """A named ballot: who voted what. One per (poll, voter)."""

    __tablename__ = "ballot"
    __table_args__ = (UniqueConstraint("poll_id", "voter_id", name="uq_ballot_voter"),)
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", ondelete="CASCADE", index=True)
    voter_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    # The proxy holder who cast it for the voter, if not the voter.
    cast_by_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    choice: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # Every nonce this ballot was cast or changed with (hash → ISO time received), so that a
    # late resend of an older one is acknowledged again instead of undoing a change.
    nonces: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    received_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    changed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class SecretVoter(SQLModel, table=True):
    """Who voted in a secret poll, and with which nonce (hashed); never what."""

    __tablename__ = "secret_voter"
    __table_args__ = (UniqueConstraint("poll_id", "voter_id", name="uq_secret_voter"),)
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    poll_id: int = Field(foreign_key="poll.id", ondelete="CASCADE", index=True)
    voter_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    cast_by_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    nonce_hash: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class SecretChoice(SQLModel, table=True):
    """What was voted in a secret poll, with its receipt code; never who."""

    __tablename__ = "secret_choice"
    __table_args__ = (
        UniqueConstraint("poll_id", "receipt", name="uq_secret_choice_receipt"),
        {"sqlite_with_rowid": False},
    )
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    poll_id: int = Field(foreign_key="poll.id", ondelete="CASCADE", index=True)
    choice: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    receipt: str = Field(max_length=16)


NONCE_PATTERN = r"^[A-Za-z0-9_.:-]{16,128}$"
PERMIT_PATTERN = r"^[A-Za-z0-9_-]{16,128}$"


class BallotCast(SQLModel):
    """A ballot as a client sends it. Which fields apply depends on the poll's kind:
    yes/no and single choice take `choice` ("abstain" abstains), multiple choice `choices`,
    opinions `text` and/or `agree`. The nonce is random per ballot (a UUID will do): sending
    it again is acknowledged as before and never counted twice."""

    choice: str | None = Field(default=None, max_length=40)
    choices: list[str] | None = Field(default=None, max_length=50)
    text: str | None = Field(default=None, max_length=5000)
    agree: bool | None = None
    nonce: str = Field(schema_extra={"pattern": NONCE_PATTERN})
    on_behalf_of: int | None = Field(default=None, ge=1, le=MAX_ID)
    # Polls that confirm the voter's face: the one-time permit the face check gave.
    permit: str | None = Field(default=None, schema_extra={"pattern": PERMIT_PATTERN})

    _no_nul = field_validator("choice", "choices", "text", "nonce")(refuse_nul)

    @field_validator("text", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class BallotMessage(BallotCast):
    """A ballot sent over the meeting websocket: the poll it is for travels with it (over HTTP
    it is in the path). Checked like its HTTP twin, so a bad field is an error naming it."""

    poll_id: int = Field(ge=1, le=MAX_ID, schema_extra={"strict": True})


class BallotAck(SQLModel):
    """The acknowledgement: the same for every resend of one nonce."""

    poll_id: int
    nonce: str
    received_at: datetime
    on_behalf_of: int | None = None
    receipt: str | None = None  # secret polls: the code to find one's ballot in the result


class MyBallot(SQLModel):
    """What a voter may know of their own ballot: for a secret poll only that they voted."""

    poll_id: int
    voter_id: int
    eligible: bool
    reason: str | None = None
    voted: bool
    received_at: datetime | None = None
    choice: dict[str, Any] | None = None
    represents: list[int] = Field(default_factory=list)
