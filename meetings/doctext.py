"""The text of a document version, page by page, extracted once and stored for the search.

Only PDFs have text here (pypdf); Office files and images are recorded as having none. The
work is bounded - pages, characters per page, characters in all - so that a hostile PDF
costs at most that much; a PDF pypdf cannot read is recorded as failed, not retried.
"""

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from meetings.fold import index_form
from meetings.storage import BlobStore
from models import DocumentPageText, DocumentText, DocumentVersion, TextStatus

MAX_PAGES = 1000
MAX_PAGE_CHARS = 20_000
MAX_TOTAL_CHARS = 2_000_000
MAX_SECONDS = 60.0  # checked between pages: a page that takes long still ends the reading
PDF = "application/pdf"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Extracted:
    """What was read from a file: the text of each page (from page 1) and how it went."""

    status: TextStatus
    pages: list[str]
    truncated: bool = False


def extract_pages(path: Path, media_type: str) -> Extracted:
    """The text of each page of a PDF, within the bounds; no text for other types."""
    if media_type != PDF:
        return Extracted(TextStatus.no_text, [])
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            reader.decrypt("")  # uploads are checked: only empty-password PDFs get here
        pages = list(_bounded_pages(reader))
    except Exception as error:  # noqa: BLE001 - any failure of a damaged file means "no text"
        log.warning("The text of %s could not be read: %r", path.name, error)
        return Extracted(TextStatus.failed, [])
    truncated = len(pages) < len(reader.pages) or any(len(p) > MAX_PAGE_CHARS for p in pages)
    return Extracted(TextStatus.indexed, [p[:MAX_PAGE_CHARS] for p in pages], truncated)


def _bounded_pages(reader: PdfReader) -> Iterator[str]:
    total = 0
    deadline = time.monotonic() + MAX_SECONDS
    for number, page in enumerate(reader.pages):
        if number >= MAX_PAGES or total >= MAX_TOTAL_CHARS or time.monotonic() > deadline:
            return
        text = (page.extract_text() or "").replace("\x00", "")
        total += min(len(text), MAX_PAGE_CHARS)
        yield text


def is_indexed(session: Session, version: DocumentVersion) -> bool:
    return session.get(DocumentText, version.id) is not None


def index_version(session: Session, version: DocumentVersion, *, store: BlobStore) -> bool:
    """Extract and store the version's text unless it already was (a second call does nothing).
    True when this call indexed it."""
    assert version.id is not None
    if is_indexed(session, version):
        return False
    extracted = extract_pages(store.path_for(version.blob_sha256), version.media_type)
    session.add(
        DocumentText(
            version_id=version.id,
            status=extracted.status,
            pages=len(extracted.pages),
            truncated=extracted.truncated,
        )
    )
    for number, text in enumerate(extracted.pages, start=1):
        folded = index_form(text)
        if folded:  # a blank page (a scan) has nothing to find
            session.add(
                DocumentPageText(version_id=version.id, page=number, text=text, folded=folded)
            )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # indexed at the same time elsewhere: once is enough
        return False
    return True


def forget_no_text(session: Session, version: DocumentVersion) -> bool:
    """Drop the record that the version had no text to read (an Office file before its PDF
    rendering existed), so that it is indexed again; True when there was one."""
    found = session.get(DocumentText, version.id)
    if found is None or found.status != TextStatus.no_text:
        return False
    session.delete(found)
    session.commit()
    return True


def unindexed_versions(session: Session) -> list[DocumentVersion]:
    """Every version whose text was never extracted (for `hop reindex`), oldest first."""
    done = select(DocumentText.version_id)
    query = select(DocumentVersion).where(col(DocumentVersion.id).not_in(done))
    return list(session.exec(query.order_by(col(DocumentVersion.id))))


def page_texts(session: Session, version: DocumentVersion) -> list[DocumentPageText]:
    """The stored pages of a version that hold text, in order."""
    query = select(DocumentPageText).where(DocumentPageText.version_id == version.id)
    return list(session.exec(query.order_by(col(DocumentPageText.page))))
