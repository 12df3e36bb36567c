"""Office documents rendered as PDFs with LibreOffice: once per version, Vietnamese text kept,
"unavailable" without LibreOffice (and tried again once it is there), "failed" not retried,
a conversion that hangs killed, two at once made once, the text indexed from the PDF."""

import io
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from meetings import doctext, renditions
from meetings import documents as docs
from meetings.documents import Uploads
from meetings.renditions import ConversionError, RenditionError
from models import DocumentPageText, DocumentVersion, Meeting, Person, RenditionStatus
from tests.meetings.search_support import uploads_in
from tests.processes import alive

STREET = "Kế hoạch chỉnh trang hè phố Đống Đa năm 2026"


@pytest.fixture
def soffice() -> str:
    """LibreOffice; when it is missing the tests that need it fail with one message (a skip
    would let CI pass without ever converting a file)."""
    program = renditions.converter()
    if program is None:
        pytest.fail(
            "LibreOffice is not installed: run scripts/system-deps.sh as root", pytrace=False
        )
    return program


def docx_bytes(*paragraphs: str) -> bytes:
    """A Word document made with python-docx."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def uploads(tmp_path: Path) -> Uploads:
    return uploads_in(tmp_path / "files")


@pytest.fixture
def version(session: Session, uploads: Uploads, meeting: Meeting, clerk: Person) -> DocumentVersion:
    document = docs.add_document(
        session=session,
        uploads=uploads,
        meeting=meeting,
        title="Dự thảo",
        source=io.BytesIO(docx_bytes("Tờ trình", STREET)),
        filename="du-thao.docx",
        uploader=clerk,
    )
    return docs.get_version(session=session, document=document)


class Counting:
    """renditions.convert, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.real = renditions.convert

    def __call__(self, *args: object) -> Path:
        self.calls += 1
        return self.real(*args)  # type: ignore[arg-type]


@pytest.mark.usefixtures("soffice")
def test_a_docx_is_rendered_once_with_its_vietnamese_text(
    session: Session, uploads: Uploads, version: DocumentVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = Counting()
    monkeypatch.setattr(renditions, "convert", counting)
    made = renditions.ensure_rendition(session=session, version=version, store=uploads.store)
    assert (made.status, made.error) == (RenditionStatus.ready, "")
    assert made.blob_sha256 is not None
    pdf = PdfReader(uploads.store.path_for(made.blob_sha256))
    assert STREET in pdf.pages[0].extract_text()
    again = renditions.ensure_rendition(session=session, version=version, store=uploads.store)
    assert again.blob_sha256 == made.blob_sha256
    assert counting.calls == 1
    sha = renditions.pdf_sha256(session=session, version=version, store=uploads.store)
    assert sha == made.blob_sha256
    assert counting.calls == 1


@pytest.mark.usefixtures("soffice")
def test_its_text_is_indexed_from_the_rendering(
    session: Session, uploads: Uploads, version: DocumentVersion
) -> None:
    renditions.ensure_rendition(session=session, version=version, store=uploads.store)
    source = renditions.text_source(session, version)
    assert source.media_type == renditions.PDF
    doctext.index_version(session, source, store=uploads.store)
    pages = session.exec(
        select(DocumentPageText).where(DocumentPageText.version_id == version.id)
    ).all()
    assert [page.page for page in pages] == [1]
    assert STREET in pages[0].text
    assert session.get(DocumentVersion, version.id) is version  # the stand-in was never added


@pytest.mark.usefixtures("soffice")
def test_two_requests_at_once_convert_once(
    engine: Engine, uploads: Uploads, version: DocumentVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = Counting()
    monkeypatch.setattr(renditions, "convert", counting)
    results: list[str | None] = []

    def ask() -> None:
        with Session(engine) as own:
            found = own.get(DocumentVersion, version.id)
            assert found is not None
            made = renditions.ensure_rendition(session=own, version=found, store=uploads.store)
            results.append(made.blob_sha256)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counting.calls == 1
    assert len(results) == 2
    assert results[0] is not None
    assert results[0] == results[1]


def test_without_libreoffice_it_is_unavailable_then_made_once_installed(
    session: Session, uploads: Uploads, version: DocumentVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(renditions, "converter", lambda: None)
    made = renditions.ensure_rendition(session=session, version=version, store=uploads.store)
    assert (made.status, made.blob_sha256) == (RenditionStatus.unavailable, None)
    with pytest.raises(RenditionError, match="LibreOffice is not installed"):
        renditions.pdf_sha256(session=session, version=version, store=uploads.store)
    assert renditions.text_source(session, version) is version
    # Installed since: the next request makes it (a fake converter here, for speed).
    monkeypatch.setattr(renditions, "converter", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(renditions, "convert", fake_convert)
    made = renditions.ensure_rendition(session=session, version=version, store=uploads.store)
    assert made.status == RenditionStatus.ready


def fake_convert(program: str, source: Path, folder: Path, extension: str) -> Path:
    from tests.meetings.search_support import pdf_pages

    made = folder / "document.pdf"
    made.write_bytes(pdf_pages(STREET))
    return made


def test_a_file_libreoffice_cannot_read_fails_once(
    session: Session, uploads: Uploads, version: DocumentVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []

    def broken(program: str, source: Path, folder: Path, extension: str) -> Path:
        calls.append(source)
        raise ConversionError("LibreOffice made no PDF: Error: source file could not be loaded")

    monkeypatch.setattr(renditions, "converter", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(renditions, "convert", broken)
    made = renditions.ensure_rendition(session=session, version=version, store=uploads.store)
    assert made.status == RenditionStatus.failed
    assert "could not be loaded" in made.error
    with pytest.raises(RenditionError, match="could not be turned into a PDF"):
        renditions.pdf_sha256(session=session, version=version, store=uploads.store)
    assert len(calls) == 1


def test_a_pdf_or_a_picture_has_no_rendering(
    session: Session, uploads: Uploads, version: DocumentVersion
) -> None:
    version.media_type = "image/png"
    with pytest.raises(RenditionError, match="Only Office documents") as refused:
        renditions.pdf_sha256(session=session, version=version, store=uploads.store)
    assert refused.value.status_code == 409
    session.rollback()


def test_a_conversion_that_hangs_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    program = tmp_path / "soffice"
    child = tmp_path / "child.pid"
    # Like soffice, a script that starts another process: both must be gone after the timeout.
    program.write_text(f"#!/bin/sh\nsleep 30 &\necho $! > {child}\nsleep 30\n")
    program.chmod(0o755)
    source = tmp_path / "a.docx"
    source.write_bytes(docx_bytes("x"))
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.setattr(renditions, "TIMEOUT", 0.5)
    with pytest.raises(ConversionError, match="took more than"):
        renditions.convert(str(program), source, folder, ".docx")
    assert not running(int(child.read_text()))


def running(pid: int) -> bool:
    """Whether the process lives (a killed one may stay a zombie until it is reaped)."""
    for _ in range(20):
        if not alive(pid):
            return False
        time.sleep(0.05)
    return True


def test_an_office_version_without_a_rendering_has_no_text_to_compare(
    session: Session, uploads: Uploads, version: DocumentVersion
) -> None:
    doctext.index_version(session, renditions.text_source(session, version), store=uploads.store)
    assert (
        session.exec(
            select(DocumentPageText).where(DocumentPageText.version_id == version.id)
        ).all()
        == []
    )
