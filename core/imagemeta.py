"""Photos re-encoded from their pixels, so nothing but the picture is kept.

A phone's JPEG carries EXIF (GPS position, device serial, time), XMP and sometimes a
thumbnail of the uncropped picture; a PNG may carry text chunks. Decoding to pixels and
encoding again keeps none of it. The header is checked against the size limits first, so
a small file claiming a huge picture is refused before anything is allocated.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from core.images import MAX_IMAGE_PIXELS, NotAnImageError, check_limits

JPEG_QUALITY = 92


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    format: str  # "jpeg" or "png"

    @property
    def suffix(self) -> str:
        return ".jpg" if self.format == "jpeg" else ".png"

    @property
    def media_type(self) -> str:
        return f"image/{self.format}"


def without_metadata(
    data: bytes, *, max_bytes: int | None = None, max_pixels: int = MAX_IMAGE_PIXELS
) -> CleanImage:
    """The same picture, in the same format, with no metadata (EXIF, GPS, XMP, text)."""
    info = check_limits(data, max_bytes=max_bytes or len(data), max_pixels=max_pixels)
    buffer = np.frombuffer(data, dtype=np.uint8)
    # JPEG: IMREAD_COLOR applies the EXIF orientation, which is about to be dropped, so the
    # picture stays upright. PNG: keep alpha and bit depth; PNG re-encoding is lossless.
    flags = cv2.IMREAD_COLOR if info.format == "jpeg" else cv2.IMREAD_UNCHANGED
    image = cv2.imdecode(buffer, flags)
    if image is None or image.size == 0:
        raise NotAnImageError(f"The {info.format.upper()} image cannot be decoded")
    if info.format == "jpeg":
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    else:
        ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise NotAnImageError(f"The {info.format.upper()} image cannot be re-encoded")
    return CleanImage(bytes(encoded.tobytes()), info.format)
