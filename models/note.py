"""A delegate's notes and highlights on a document, anchored like a W3C text-quote selector.

A note belongs to one person and is never shown to other delegates; `shared` hands it to the
meeting's secretariat (a question to the drafting body). Its anchor is the page and quoted text
(with some text before and after) in the version it refers to; when a document gets a new
version, meetings.notes carries the anchor by finding the quote again, or marks it changed and
keeps the old quote.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import utcnow

NOTE_BODY_MAX = 10_000
QUOTE_MAX = 2_000  # the quoted text; longer selections are cut (the anchor needs no more)
CONTEXT_MAX = 64  # prefix and suffix kept around the quote
CLIENT_ID_MAX = 64


class NoteKind(StrEnum):
    highlight = "highlight"  # a selected passage, with or without a comment
    pin = "pin"  # a note pinned to a point of a page (x, y), quoting the text there if any


class AnchorState(StrEnum):
    anchored = "anchored"  # the quote is on `page` of version `version_number`
    changed = "changed"  # the quote was not found again in `version_number`: "the text changed"


class Note(SQLModel, table=True):
    __tablename__ = "note"
    # The tablet names each note (a UUID) so a note sent twice, e.g. after being offline, is one.
    __table_args__ = (UniqueConstraint("person_id", "client_id", name="uq_note_client"),)
    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=CLIENT_ID_MAX)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", index=True)
    kind: NoteKind = Field(sa_type=String(16))
    made_on_version: int  # the version number the note was taken on
    version_number: int  # the version number its anchor now refers to
    page: int  # from 1
    exact: str = Field(default="", sa_type=Text)  # the quote; kept as it was when changed
    prefix: str = Field(default="", max_length=CONTEXT_MAX * 4)
    suffix: str = Field(default="", max_length=CONTEXT_MAX * 4)
    x: float | None = None  # a pin's point, as fractions of the page's width and height
    y: float | None = None
    body: str = Field(default="", sa_type=Text)
    shared: bool = False  # shown to the meeting's secretariat
    anchor: AnchorState = Field(default=AnchorState.anchored, sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
