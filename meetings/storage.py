"""Files stored once by sha256 under the data folder; types are read from content, not names."""

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from meetings.errors import FileTooLargeError, FileTypeNotAllowedError, InvalidDataError

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ZIP_MARKERS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
}


@dataclass(frozen=True)
class StagedFile:
    """An upload written to a temporary file, hashed and typed, not yet in the store."""

    path: Path
    sha256: str
    size: int
    media_type: str


def sniff_media_type(path: Path) -> str | None:
    """The media type from the file's first bytes (and a zip's members), or None."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    return None


def _sniff_zip(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                return archive.read("mimetype").decode("ascii", "replace").strip() or None
    except (zipfile.BadZipFile, OSError):
        return None
    return next((kind for marker, kind in _ZIP_MARKERS.items() if marker in names), None)


def safe_filename(name: str | None, *, fallback: str = "document") -> str:
    """A display name with no folders, control characters or NUL bytes; never used as a path."""
    name = (name or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:200] or fallback


class BlobStore:
    """Content-addressed files: root/ab/abcdef…; one copy per distinct content."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise InvalidDataError("Not a sha256 digest")
        return self.root / sha256[:2] / sha256

    def stage(
        self, source: BinaryIO, *, max_bytes: int, allowed_types: list[str] | tuple[str, ...]
    ) -> StagedFile:
        """Copy an upload to a temporary file, refusing it when too large or of a wrong type."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=tmp_dir)
        path = Path(name)
        try:
            sha256, size = _copy_limited(source, handle, max_bytes)
            media_type = sniff_media_type(path)
            if size == 0:
                raise InvalidDataError("The file is empty", field="file")
            if media_type is None or media_type not in allowed_types:
                raise FileTypeNotAllowedError(
                    f"File type {media_type or 'unknown'} is not allowed; allowed: "
                    + ", ".join(allowed_types),
                    field="file",
                )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return StagedFile(path=path, sha256=sha256, size=size, media_type=media_type)

    def keep(self, staged: StagedFile) -> bool:
        """Move a staged file into place; False when the same content was already stored."""
        target = self.path_for(staged.sha256)
        if target.exists():
            staged.path.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, target)
        return True

    def discard(self, staged: StagedFile) -> None:
        staged.path.unlink(missing_ok=True)

    def remove(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)


def _copy_limited(source: BinaryIO, handle: int, max_bytes: int) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with os.fdopen(handle, "wb") as target:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FileTooLargeError(
                    f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MB",
                    field="file",
                )
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest(), size
