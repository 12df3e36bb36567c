"""A version's text, page by page: extracted once, bounded, none for files that are not PDFs."""

import io
from pathlib import Path

import pytest
from sqlmodel import Session, select

from meetings import doctext
from meetings import documents as docs
from meetings.documents import Uploads
from models import DocumentPageText, DocumentText, Meeting, Person, TextStatus
from tests.meetings.search_support import add_pdf, pdf_pages, uploads_in


@pytest.fixture
def uploads(tmp_path: Path) -> Uploads:
    return uploads_in(tmp_path / "files")


def test_pages_are_extracted_in_order(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf_pages("Trang một: hè phố", "", "Trang ba: Đề án"))
    extracted = doctext.extract_pages(path, "application/pdf")
    assert extracted.status == TextStatus.indexed
    assert len(extracted.pages) == 3
    assert "hè phố" in extracted.pages[0]
    assert extracted.pages[1].strip() == ""
    assert "Đề án" in extracted.pages[2]
    assert not extracted.truncated


def test_office_files_and_images_have_no_text(tmp_path: Path) -> None:
    path = tmp_path / "a.docx"
    path.write_bytes(b"PK not read")
    extracted = doctext.extract_pages(path, "application/vnd.oasis.opendocument.text")
    assert extracted == doctext.Extracted(TextStatus.no_text, [])
    assert doctext.extract_pages(path, "image/png").status == TextStatus.no_text


def test_a_damaged_pdf_is_recorded_as_failed(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n garbage that is no PDF at all")
    extracted = doctext.extract_pages(path, "application/pdf")
    assert extracted.status == TextStatus.failed
    assert extracted.pages == []


def test_the_work_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf_pages(*[f"Trang {n} " + "chữ " * 40 for n in range(1, 6)]))
    monkeypatch.setattr(doctext, "MAX_PAGES", 3)
    monkeypatch.setattr(doctext, "MAX_PAGE_CHARS", 50)
    extracted = doctext.extract_pages(path, "application/pdf")
    assert len(extracted.pages) == 3
    assert all(len(page) <= 50 for page in extracted.pages)
    assert extracted.truncated


def test_a_version_is_indexed_once(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    document = add_pdf(session, uploads, meeting, clerk, "hè phố", "Đề án", index=False)
    version = docs.get_version(session=session, document=document)
    assert doctext.index_version(session, version, store=uploads.store) is True
    assert doctext.index_version(session, version, store=uploads.store) is False
    record = session.get(DocumentText, version.id)
    assert record is not None
    assert (record.status, record.pages) == (TextStatus.indexed, 2)
    pages = doctext.page_texts(session, version)
    assert [(p.page, p.folded) for p in pages] == [(1, "he pho"), (2, "de an")]
    assert "hè phố" in pages[0].text


def test_an_office_file_is_recorded_without_text(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    from docx import Document as Docx

    buffer = io.BytesIO()
    Docx().save(buffer)
    document = docs.add_document(
        session=session,
        uploads=uploads,
        meeting=meeting,
        title="Phụ lục",
        source=io.BytesIO(buffer.getvalue()),
        filename="phu-luc.docx",
        uploader=clerk,
    )
    version = docs.get_version(session=session, document=document)
    assert doctext.index_version(session, version, store=uploads.store) is True
    record = session.get(DocumentText, version.id)
    assert record is not None
    assert record.status == TextStatus.no_text
    assert doctext.page_texts(session, version) == []


def test_unindexed_versions_are_those_never_read(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    done = add_pdf(session, uploads, meeting, clerk, "một")
    waiting = add_pdf(session, uploads, meeting, clerk, "hai", index=False)
    left = doctext.unindexed_versions(session)
    assert [v.document_id for v in left] == [waiting.id]
    assert done.id not in {v.document_id for v in left}


def test_removing_a_document_removes_its_text(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    document = add_pdf(session, uploads, meeting, clerk, "hè phố")
    docs.delete_document(session=session, document=document)
    assert session.exec(select(DocumentPageText)).all() == []
    assert session.exec(select(DocumentText)).all() == []
