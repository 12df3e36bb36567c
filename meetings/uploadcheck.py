"""What is done to a staged upload before it is kept: PDFs inspected, images stripped.

PDFs with active content are refused (meetings.pdfcheck), and so are Office files that are
zip bombs or carry macros (meetings.officecheck). Pictures are re-encoded from their
pixels, so a phone photo's GPS position and camera serial never reach the delegates: the
stored file (and its sha256) is the clean one.
"""

import dataclasses
import hashlib

from core.imagemeta import without_metadata
from core.images import ImageError, ImageTooLargeError, NotAnImageError
from meetings.errors import InvalidDataError
from meetings.officecheck import OFFICE_TYPES, check_office
from meetings.pdfcheck import check_pdf
from meetings.storage import StagedFile

IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


def inspect_staged(staged: StagedFile, *, max_bytes: int) -> StagedFile:
    """The staged file as it may be kept, or a 422 saying why it is refused."""
    if staged.media_type == "application/pdf":
        check_pdf(staged.path)
        return staged
    if staged.media_type in OFFICE_TYPES:
        check_office(staged.path)
        return staged
    if staged.media_type in IMAGE_TYPES:
        return _strip_image(staged, max_bytes)
    return staged


def _strip_image(staged: StagedFile, max_bytes: int) -> StagedFile:
    try:
        clean = without_metadata(staged.path.read_bytes(), max_bytes=max_bytes)
    except (ImageError, ImageTooLargeError, NotAnImageError) as error:
        raise InvalidDataError(
            f"The picture cannot be used: {error.detail}", field="file"
        ) from error
    staged.path.write_bytes(clean.data)
    return dataclasses.replace(
        staged,
        sha256=hashlib.sha256(clean.data).hexdigest(),
        size=len(clean.data),
        media_type=clean.media_type,
    )
