"""PDFs with Vietnamese text, an upload store, and documents indexed for the search tests."""

import io
from pathlib import Path

from sqlmodel import Session

from meetings import doctext
from meetings import documents as docs
from meetings.documents import Uploads
from meetings.storage import BlobStore
from models import Document, Meeting, Person
from web.settings import DEFAULT_DOCUMENT_TYPES

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def pdf_pages(*pages: str) -> bytes:
    """A PDF with one page per text, in DejaVu Sans so that Vietnamese letters survive."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVuSans", str(DEJAVU)))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for text in pages:
        pdf.setFont("DejaVuSans", 12)
        for line, words in enumerate(text.splitlines()):
            pdf.drawString(72, 720 - 16 * line, words)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def uploads_in(root: Path) -> Uploads:
    return Uploads(
        BlobStore(root), max_bytes=5 * 1024 * 1024, allowed_types=list(DEFAULT_DOCUMENT_TYPES)
    )


def add_pdf(
    session: Session,
    uploads: Uploads,
    meeting: Meeting,
    uploader: Person,
    *pages: str,
    title: str = "Tờ trình",
    publish: bool = True,
    index: bool = True,
) -> Document:
    """A document whose first version holds these pages, published and indexed by default."""
    document = docs.add_document(
        session=session,
        uploads=uploads,
        meeting=meeting,
        title=title,
        source=io.BytesIO(pdf_pages(*pages)),
        filename="to-trinh.pdf",
        uploader=uploader,
    )
    if publish:
        docs.publish_document(session=session, document=document)
    if index:
        index_current(session, uploads, document)
    return document


def new_version(
    session: Session, uploads: Uploads, document: Document, uploader: Person, *pages: str
) -> None:
    docs.add_version(
        session=session,
        uploads=uploads,
        document=document,
        source=io.BytesIO(pdf_pages(*pages)),
        filename="to-trinh-2.pdf",
        uploader=uploader,
    )
    index_current(session, uploads, document)


def index_current(session: Session, uploads: Uploads, document: Document) -> None:
    version = docs.get_version(session=session, document=document)
    doctext.index_version(session, version, store=uploads.store)
