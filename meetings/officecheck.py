"""Refuse Office files (DOCX, XLSX, PPTX) that are zip bombs or carry macros.

An Office Open XML file is a zip. A small upload can expand to gigabytes in the viewer of
every tablet it is offered to, and a macro project (`vbaProject.bin`, which a .docx renamed
from a .docm still carries) is code. Meeting papers need neither, so such a file is refused
(422) like a PDF with active content (meetings.pdfcheck), not altered: the secretariat saves
it again without macros, or as PDF.

The sizes checked are those the zip declares; every member is then read through (bounded by
those sizes), so a member that lies about its size or is damaged fails its CRC and is refused.
"""

import zipfile
from pathlib import Path, PurePosixPath

from meetings.errors import InvalidDataError, UnsafeDocumentError

OFFICE_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)
# Generous for papers full of pictures (which barely compress), far below a bomb.
MAX_EXPANDED_BYTES = 256 * 1024 * 1024
MAX_MEMBERS = 5_000
# XML compresses 10-30 times; a member expanding more than this is built to expand.
MAX_RATIO = 200
# Members this small are not judged by their ratio (a run of spaces compresses very well).
RATIO_FLOOR_BYTES = 1024 * 1024
MACRO_NAMES = frozenset({"vbaproject.bin", "vbadata.xml"})
_CHUNK = 1024 * 1024


def check_office(path: Path) -> None:
    """Return if the Office file may be published, else raise a 422 saying why."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_members(members)
            _read_through(archive, members)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as error:
        raise InvalidDataError(
            "This Office file is damaged and cannot be checked", field="file"
        ) from error


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise _unsafe(f"it holds more than {MAX_MEMBERS} parts")
    for member in members:
        if PurePosixPath(member.filename).name.lower() in MACRO_NAMES:
            raise _unsafe("it holds macros (vbaProject.bin)")
        if member.file_size > RATIO_FLOOR_BYTES and (
            member.file_size > MAX_RATIO * max(member.compress_size, 1)
        ):
            raise _unsafe(f"a part expands more than {MAX_RATIO} times (a zip bomb)")
    if sum(member.file_size for member in members) > MAX_EXPANDED_BYTES:
        raise _unsafe(f"it expands to more than {MAX_EXPANDED_BYTES // 2**20} MB")


def _read_through(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    for member in members:
        with archive.open(member) as handle:
            while handle.read(_CHUNK):
                pass


def _unsafe(reason: str) -> UnsafeDocumentError:
    return UnsafeDocumentError(f"This Office file cannot be published: {reason}", field="file")
