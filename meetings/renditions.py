"""PDF renderings of Office documents, made once per version with LibreOffice for the reader.

Tablets cannot open a .docx in the page, so the server converts each Office version once
(`soffice --headless --convert-to pdf`) and keeps the PDF in the blob store like any upload; the
DocumentRendition row says how it went. Without LibreOffice the row says "unavailable" (tried
again once it is installed); a file LibreOffice cannot read says "failed" and is not retried.
Each conversion gets a LibreOffice profile of its own (two at once would fight over one), a
time limit after which its whole process group is killed, and a slot among CONVERSIONS.
"""

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.errors import ConflictError
from meetings.officecheck import OFFICE_TYPES as CHECKED_OFFICE_TYPES
from meetings.pdfcheck import check_pdf
from meetings.storage import BlobStore
from models import Blob, DocumentRendition, DocumentVersion, RenditionStatus
from models.base import utcnow

PDF = "application/pdf"
ODT = "application/vnd.oasis.opendocument.text"
OFFICE_TYPES = CHECKED_OFFICE_TYPES | {ODT}
# The name LibreOffice reads the file under: it picks its import filter by the extension.
EXTENSIONS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    ODT: ".odt",
}
TIMEOUT = 120.0
MAX_PDF_BYTES = 512 * 1024 * 1024
CONVERSIONS = 2  # at once in this process: the machine's cores, not the requests, set the pace
log = logging.getLogger(__name__)

# A version's conversion is guarded by one of a fixed set of locks (by its id), so that the
# upload's background task and a reader asking at the same moment convert it once.
_STRIPES = [threading.Lock() for _ in range(64)]
_SLOTS = threading.BoundedSemaphore(CONVERSIONS)


@dataclass(frozen=True)
class Outcome:
    """How one attempt went: the stored PDF when ready, else a short reason for the log."""

    status: RenditionStatus
    sha256: str | None = None
    size: int = 0
    error: str = ""


class ConversionError(Exception):
    """LibreOffice made no PDF of the file; the message says why, for the log."""


class RenditionError(ConflictError):
    """There is no PDF rendering to send: the reader offers the original for download."""


def is_office(media_type: str) -> bool:
    return media_type in OFFICE_TYPES


def converter() -> str | None:
    """The LibreOffice program on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def unrendered_versions(session: Session) -> list[DocumentVersion]:
    """Office versions with no rendering settled yet (never tried, or tried while LibreOffice
    was missing and it is here now), oldest first: for `hop reindex`."""
    query = select(DocumentVersion).where(col(DocumentVersion.media_type).in_(OFFICE_TYPES))
    versions = session.exec(query.order_by(col(DocumentVersion.id)))
    return [version for version in versions if _settled(session, version) is None]


def find_rendition(session: Session, version: DocumentVersion) -> DocumentRendition | None:
    return session.get(DocumentRendition, version.id)


def ensure_rendition(
    *, session: Session, version: DocumentVersion, store: BlobStore
) -> DocumentRendition:
    """The version's PDF rendering, made now when it was never made (or LibreOffice was
    missing then and is here now); an Office version only."""
    assert version.id is not None
    assert is_office(version.media_type), version.media_type
    with _STRIPES[version.id % len(_STRIPES)]:
        found = _settled(session, version)
        if found is not None:
            return found
        program = converter()
        if program is None:
            outcome = Outcome(RenditionStatus.unavailable, error="LibreOffice is not installed")
        else:
            outcome = _render(program, version, store)
        return _record(session, version, outcome)


def _settled(session: Session, version: DocumentVersion) -> DocumentRendition | None:
    # Read afresh: another thread may have just made it.
    found = session.get(DocumentRendition, version.id, populate_existing=True)
    if found is None:
        return None
    if found.status == RenditionStatus.unavailable and converter() is not None:
        return None  # LibreOffice was installed since: try now
    return found


def _render(program: str, version: DocumentVersion, store: BlobStore) -> Outcome:
    source = store.path_for(version.blob_sha256)
    with _SLOTS, tempfile.TemporaryDirectory(prefix="hop-render-") as folder:
        try:
            made = convert(program, source, Path(folder), EXTENSIONS[version.media_type])
            check_pdf(made)  # what LibreOffice writes is served like an upload: checked alike
            return _keep(store, made)
        except Exception as error:  # noqa: BLE001 - whatever went wrong, the file has no PDF
            log.warning("Document version %s could not be rendered: %s", version.id, error)
            return Outcome(RenditionStatus.failed, error=str(error)[:500])


def convert(program: str, source: Path, folder: Path, extension: str) -> Path:
    """The PDF LibreOffice makes of source (copied into folder under a name with the given
    extension); ConversionError when it makes none in TIMEOUT seconds."""
    named = folder / f"document{extension}"
    shutil.copyfile(source, named)
    out = folder / "out"
    command = [
        program,
        f"-env:UserInstallation={(folder / 'profile').as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        "pdf",
        "--outdir",
        str(out),
        str(named),
    ]
    output = _run(command, cwd=folder)
    made = out / "document.pdf"
    if not made.is_file() or made.stat().st_size == 0:
        raise ConversionError(f"LibreOffice made no PDF: {output[-300:]}")
    return made


def _run(command: list[str], *, cwd: Path) -> str:
    # A session of its own: soffice starts soffice.bin, and a timeout must kill both.
    process = subprocess.Popen(  # noqa: S603 - a fixed program and our own arguments
        command,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "HOME": str(cwd)},
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired as error:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ConversionError(f"LibreOffice took more than {TIMEOUT:.0f} s") from error
    return output.decode("utf-8", "replace").strip()


def _keep(store: BlobStore, made: Path) -> Outcome:
    """The PDF moved into the store."""
    with made.open("rb") as handle:
        staged = store.stage(handle, max_bytes=MAX_PDF_BYTES, allowed_types=(PDF,))
    store.keep(staged)
    return Outcome(RenditionStatus.ready, sha256=staged.sha256, size=staged.size)


def _record(session: Session, version: DocumentVersion, outcome: Outcome) -> DocumentRendition:
    assert version.id is not None
    # The blob first: the rendition refers to it, and a lookup may flush.
    if outcome.sha256 is not None and session.get(Blob, outcome.sha256) is None:
        session.add(Blob(sha256=outcome.sha256, size=outcome.size, media_type=PDF))
    rendition = session.get(DocumentRendition, version.id) or DocumentRendition(
        version_id=version.id, status=outcome.status
    )
    rendition.status = outcome.status
    rendition.blob_sha256 = outcome.sha256
    rendition.error = outcome.error
    rendition.made_at = utcnow()
    session.add(rendition)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # made at the same time by another server process: use theirs
        found = session.get(DocumentRendition, version.id)
        if found is None:
            raise
        return found
    return rendition


def pdf_sha256(*, session: Session, version: DocumentVersion, store: BlobStore) -> str:
    """The stored PDF that shows an Office version in the reader, made when it was never
    made; RenditionError (409) when there is none, so the reader offers the original."""
    if not is_office(version.media_type):
        raise RenditionError(
            "Only Office documents are shown through a PDF rendering; this file is shown as it is"
        )
    rendition = ensure_rendition(session=session, version=version, store=store)
    if rendition.status == RenditionStatus.ready and rendition.blob_sha256:
        return rendition.blob_sha256
    if rendition.status == RenditionStatus.unavailable:
        raise RenditionError(
            "This server cannot show Office documents in the reader (LibreOffice is not "
            "installed): download the original file"
        )
    raise RenditionError(
        "This Office document could not be turned into a PDF for the reader: "
        "download the original file"
    )


def text_source(session: Session, version: DocumentVersion) -> DocumentVersion:
    """The version as its text is read for the search (meetings.doctext): an Office version
    through its ready PDF rendering, so that its pages are found as the reader shows them."""
    rendition = find_rendition(session, version)
    if rendition is None or rendition.status != RenditionStatus.ready:
        return version
    assert rendition.blob_sha256 is not None
    # A stand-in never added to the session: doctext reads only its id, file and type.
    return DocumentVersion(
        id=version.id,
        document_id=version.document_id,
        number=version.number,
        blob_sha256=rendition.blob_sha256,
        filename=version.filename,
        size=version.size,
        media_type=PDF,
    )
