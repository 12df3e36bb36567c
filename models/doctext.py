"""The text of document versions, page by page, for the meeting search (meetings.search).

A version is read once (DocumentText says how that went); its pages are kept twice: as
extracted, for the snippets people read, and folded (lower case, no Vietnamese diacritics,
words separated by single spaces), which is what the search indexes match.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import utcnow

# The search indexes are made by migrations alone (each on its own database), not by the
# models: on PostgreSQL a stored generated column, to_tsvector('simple', folded), with a GIN
# index on it, which meetings.search queries (migrations 0012 and 0014); on SQLite an FTS5
# table over document_page_text.folded, whose shadow tables FTS5 names after it (0012).
PG_SEARCH_INDEX = "ix_document_page_text_search"
PG_SEARCH_COLUMN = "search_vector"
SQLITE_FTS_TABLE = "document_page_fts"


class TextStatus(StrEnum):
    indexed = "indexed"  # a PDF whose pages were read (some may hold no text: scans)
    no_text = "no_text"  # not a PDF (Office files, images): nothing to search
    failed = "failed"  # a PDF pypdf could not read


class DocumentText(SQLModel, table=True):
    """That a version was indexed, once: its row is what makes indexing idempotent."""

    __tablename__ = "document_text"
    version_id: int = Field(
        primary_key=True,
        foreign_key="document_version.id",
        ondelete="CASCADE",
        sa_column_kwargs={"autoincrement": False},
    )
    status: TextStatus = Field(sa_type=String(16))
    pages: int = 0  # pages read (at most meetings.doctext.MAX_PAGES)
    truncated: bool = False  # pages or characters were left out by the bounds
    indexed_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class DocumentPageText(SQLModel, table=True):
    """One page's text of a version (pages numbered from 1, as the reader's #page=N)."""

    __tablename__ = "document_page_text"
    __table_args__ = (UniqueConstraint("version_id", "page", name="uq_document_page_text"),)
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="document_version.id", ondelete="CASCADE", index=True)
    page: int
    text: str = Field(sa_type=Text)
    folded: str = Field(sa_type=Text)
