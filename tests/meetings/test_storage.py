"""The content-addressed file store: safe display names, types read from content, limits."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from meetings.errors import FileTooLargeError, FileTypeNotAllowedError, InvalidDataError
from meetings.storage import BlobStore, StagedFile, safe_filename, sniff_media_type
from tests.factories import pdf_bytes, stored_files

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/abs/path/file.pdf", "file.pdf"),
        ("evil\x00.pdf", "evil.pdf"),
        ("line\nbreak\r\t.pdf", "linebreak.pdf"),
        ("right\u202eto-left.pdf", "rightto-left.pdf"),  # bidi override is a control character
        ("..", "document"),
        ("   ", "document"),
        ("", "document"),
        (None, "document"),
        ("Báo cáo quý 3 – Sở Tài chính.pdf", "Báo cáo quý 3 – Sở Tài chính.pdf"),
    ],
)
def test_safe_filename(given: str | None, shown: str) -> None:
    assert safe_filename(given) == shown


def test_safe_filename_is_bounded() -> None:
    assert len(safe_filename("a" * 1000 + ".pdf")) == 200


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "sample"
    path.write_bytes(content)
    return path


def zip_bytes(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (pdf_bytes(), PDF),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        (zip_bytes({"word/document.xml": "<w/>"}), DOCX),
        (zip_bytes({"mimetype": ODT, "content.xml": "<x/>"}), ODT),
        (zip_bytes({"readme.txt": "hi"}), None),
        (b"PK\x03\x04broken", None),
        (b"MZ\x90\x00", None),
        (b"plain text", None),
        (b"", None),
    ],
)
def test_sniff_media_type(tmp_path: Path, content: bytes, kind: str | None) -> None:
    assert sniff_media_type(write(tmp_path, content)) == kind


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "files")


def stage(store: BlobStore, content: bytes, *, max_bytes: int = 1024 * 1024) -> StagedFile:
    return store.stage(io.BytesIO(content), max_bytes=max_bytes, allowed_types=[PDF])


def test_stage_and_keep(store: BlobStore) -> None:
    content = pdf_bytes()
    staged = stage(store, content)
    digest = hashlib.sha256(content).hexdigest()
    assert (staged.sha256, staged.size, staged.media_type) == (digest, len(content), PDF)
    assert staged.path.parent == store.root / "tmp"
    assert store.keep(staged) is True
    assert stored_files(store.root) == [store.root / digest[:2] / digest]
    assert store.path_for(digest).read_bytes() == content


def test_keeping_the_same_content_twice_stores_one_file(store: BlobStore) -> None:
    content = pdf_bytes()
    for expected in (True, False):
        staged = stage(store, content)
        assert store.keep(staged) is expected
    assert len(stored_files(store.root)) == 1


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"%PDF-" + b"0" * 2000, FileTooLargeError),
        (b"", InvalidDataError),
        (b"not a pdf", FileTypeNotAllowedError),
        (b"\x89PNG\r\n\x1a\n0000", FileTypeNotAllowedError),  # a known type, but not allowed
    ],
)
def test_refused_files_leave_no_temporary_file(
    store: BlobStore, content: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        stage(store, content, max_bytes=1000)
    assert getattr(raised.value, "field", None) == "file"
    assert stored_files(store.root) == []


def test_discard_removes_the_staged_file(store: BlobStore) -> None:
    staged = stage(store, pdf_bytes())
    store.discard(staged)
    assert stored_files(store.root) == []


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABCDEF", "a" * 63, "g" * 64, ""])
def test_only_sha256_digests_name_stored_files(store: BlobStore, name: str) -> None:
    with pytest.raises(InvalidDataError):
        store.path_for(name)
