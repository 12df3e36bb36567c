"""The audit trail: security-relevant actions, each entry hash-chained to the one before.

Rows carry no foreign keys on purpose: deleting a person or a meeting must neither delete nor
rewrite their history (a SET NULL would change a hashed field and break the chain).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlmodel import Field, SQLModel

# The prev_hash of the first entry.
GENESIS = "0" * 64


class AuditRecord(SQLModel):
    """What an entry says: who did what to what, and from where."""

    actor_id: int | None = Field(default=None, index=True)
    actor: str = Field(default="", max_length=120)  # a username, a device name, "cli"
    action: str = Field(max_length=60, index=True)
    target_type: str = Field(default="", max_length=40)
    target_id: int | None = None
    meeting_id: int | None = Field(default=None, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    address: str = Field(default="", max_length=64)


class AuditEntry(AuditRecord, table=True):
    __tablename__ = "audit_entry"
    # The id is the entry's position in the chain, given under the head's lock, never by a
    # sequence: a sequence hands out numbers before the lock and would leave them out of order.
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """One row: the chain's length and last hash. Appenders update it first, which serialises
    them on both databases (a row lock on PostgreSQL, the write lock on SQLite)."""

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = 0
    last_hash: str = Field(default=GENESIS, max_length=64)


class AuditEntryPublic(AuditRecord):
    id: int
    at: datetime
