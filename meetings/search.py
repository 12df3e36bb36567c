"""Search the text of a meeting's papers (or, for the secretariat, of every meeting's).

Only the current version of published documents the viewer may see is searched: the meeting's
documents come from documents.list_documents, which applies the visibility rules. Matching is
accent-insensitive (meetings.fold) and by word prefix: SQLite's FTS5 table or PostgreSQL's
stored to_tsvector('simple', folded) column and its GIN index, both over the folded text
(migrations 0012 and 0014).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, TextClause, text
from sqlmodel import Session, col, select

from meetings import access
from meetings import documents as docs
from meetings.fold import fold_with_offsets, words
from models import (
    Document,
    DocumentPageText,
    DocumentStatus,
    DocumentVersion,
    Meeting,
    Person,
)
from models.doctext import PG_SEARCH_COLUMN, SQLITE_FTS_TABLE

MAX_QUERY = 200
MAX_TERMS = 12
MAX_LIMIT = 100
SNIPPET_CONTEXT = 80  # characters of the original text on each side of the hit


@dataclass(frozen=True)
class Hit:
    """A page where the query was found."""

    document_id: int
    title: str
    meeting_id: int
    version: int
    page: int
    snippet: str


def query_terms(query: str) -> list[str]:
    """The folded words of a query: at most MAX_QUERY characters and MAX_TERMS words. Only
    letters and digits remain, so nothing a user types is FTS or tsquery syntax."""
    return words(query.strip()[:MAX_QUERY])[:MAX_TERMS]


def search(
    session: Session, meeting: Meeting, viewer: Person, query: str, limit: int = 50
) -> list[Hit]:
    """Pages of the meeting's published documents (current versions) that hold every word of
    the query; MeetingNotFoundError when the viewer may not see the meeting."""
    assert meeting.id is not None
    access.get_visible_meeting(session, meeting_id=meeting.id, viewer=viewer)  # or not found
    terms = query_terms(query)
    if not terms:
        return []
    visible = docs.list_documents(session=session, meeting=meeting, viewer=viewer)
    ids = [d.id for d in visible if d.status == DocumentStatus.published]
    if not ids:
        return []
    return _run(session, _current_versions().where(col(Document.id).in_(ids)), terms, limit)


def search_all(session: Session, viewer: Person, query: str, limit: int = 50) -> list[Hit]:
    """The same across every meeting, for the secretariat (NotAllowedError for others)."""
    access.require_staff(viewer)
    terms = query_terms(query)
    if not terms:
        return []
    return _run(session, _current_versions(), terms, limit)


def _current_versions() -> Select[Any]:
    # The current version of each published document, with what a hit shows of it.
    return (
        select(DocumentVersion.id)
        .join(Document, col(Document.id) == DocumentVersion.document_id)
        .where(
            Document.status == DocumentStatus.published,
            col(DocumentVersion.number) == col(Document.current_version),
        )
    )


def _run(session: Session, versions: Select[Any], terms: list[str], limit: int) -> list[Hit]:
    query = (
        select(DocumentPageText, Document, DocumentVersion)
        .join(DocumentVersion, col(DocumentVersion.id) == DocumentPageText.version_id)
        .join(Document, col(Document.id) == DocumentVersion.document_id)
        .where(col(DocumentPageText.version_id).in_(versions.scalar_subquery()))
        .where(_matches(session, terms))
        .order_by(col(Document.meeting_id).desc(), col(Document.id), col(DocumentPageText.page))
        .limit(max(1, min(limit, MAX_LIMIT)))
    )
    return [
        Hit(
            document_id=document.id or 0,
            title=document.title,
            meeting_id=document.meeting_id,
            version=version.number,
            page=page.page,
            snippet=snippet(page.text, terms),
        )
        for page, document, version in session.exec(query)
    ]


def _matches(session: Session, terms: list[str]) -> TextClause:
    # Terms are letters and digits only (query_terms), so these expressions cannot be broken.
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(f"{term}:*" for term in terms)
        return text(
            f"document_page_text.{PG_SEARCH_COLUMN} @@ to_tsquery('simple', :q)"
        ).bindparams(q=tsquery)
    match = " ".join(f'"{term}"*' for term in terms)
    return text(
        f"document_page_text.id IN (SELECT rowid FROM {SQLITE_FTS_TABLE} "
        f"WHERE {SQLITE_FTS_TABLE} MATCH :q)"
    ).bindparams(q=match)


def snippet(original: str, terms: list[str]) -> str:
    """A short piece of the original (not folded) text around the first word found."""
    folded, offsets = fold_with_offsets(original)
    found = [(at, term) for term in terms if (at := folded.find(term)) >= 0]
    if not found or not offsets:
        return _squash(original[: SNIPPET_CONTEXT * 2])
    at, term = min(found)
    start = offsets[at]
    end = offsets[min(at + len(term), len(offsets)) - 1] + 1
    left = max(0, start - SNIPPET_CONTEXT)
    right = min(len(original), end + SNIPPET_CONTEXT)
    piece = _squash(original[left:right])
    return ("…" if left else "") + piece + ("…" if right < len(original) else "")


def _squash(piece: str) -> str:
    return " ".join(piece.split())
