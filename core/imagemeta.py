"""Photos decoded upright, and re-encoded from their pixels so nothing but the picture is kept.

A phone's JPEG carries EXIF (GPS position, device serial, time), XMP and sometimes a
thumbnail of the uncropped picture; a PNG may carry text chunks, a WebP or HEIC the same EXIF.
Decoding to pixels and encoding again keeps none of it. The header is checked against the
size limits first, so a small file claiming a huge picture is refused before anything is
allocated.

JPEG and PNG are decoded by OpenCV (the kiosk's frames: the fast path). WebP and HEIC/HEIF
are decoded by Pillow (HEIC through pillow-heif: OpenCV reads no HEIC), with the orientation
applied: a WebP's EXIF tag, a HEIF's rotation and mirror properties (libheif applies those;
pillow-heif then resets the EXIF tag, which HEIF readers must not apply a second time).
"""

import functools
import io
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from core.images import (
    MAX_IMAGE_PIXELS,
    ImageInfo,
    NotAnImageError,
    check_limits,
    check_pixels,
)

JPEG_QUALITY = 92
# The Pillow plugin that decodes each format the header reader named (and no other one).
PILLOW_FORMATS = {"webp": "WEBP", "heif": "HEIF"}
FORMAT_NAMES = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP", "heif": "HEIF"}
# What Pillow and pillow-heif raise on bytes they cannot decode. Pillow's own bomb check
# fires only where its reading of a header disagrees with ours (a forged file).
_DECODE_ERRORS = (
    OSError,
    ValueError,
    RuntimeError,
    SyntaxError,
    EOFError,
    Image.DecompressionBombError,
)
# A HEIF is kept as JPEG (PNG with transparency): browsers do not show HEIC.
_SUFFIXES = {"jpeg": ".jpg", "png": ".png", "webp": ".webp"}


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    format: str  # "jpeg", "png" or "webp"

    @property
    def suffix(self) -> str:
        return _SUFFIXES[self.format]

    @property
    def media_type(self) -> str:
        return f"image/{self.format}"


def decode_pixels(
    data: bytes, info: ImageInfo, *, max_pixels: int = MAX_IMAGE_PIXELS
) -> npt.NDArray[Any]:
    """The picture upright, laid out as OpenCV does: grey, BGR or BGRA, 8 or 16 bits."""
    if info.format in PILLOW_FORMATS:
        return _pillow_decode(data, info, max_pixels)
    buffer = np.frombuffer(data, dtype=np.uint8)
    # JPEG: IMREAD_COLOR applies the EXIF orientation. PNG: keep alpha and bit depth.
    flags = cv2.IMREAD_COLOR if info.format == "jpeg" else cv2.IMREAD_UNCHANGED
    image = cv2.imdecode(buffer, flags)
    if image is None or image.size == 0:
        raise NotAnImageError(f"The {FORMAT_NAMES[info.format]} image cannot be decoded")
    return image


@functools.cache
def _register_heif() -> None:
    # Once per process, on first use: a face worker that never sees a HEIC never loads libheif.
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


def _pillow_decode(data: bytes, info: ImageInfo, max_pixels: int) -> npt.NDArray[Any]:
    _register_heif()
    name = FORMAT_NAMES[info.format]
    try:
        with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[info.format]]) as opened:
            # Pillow read the header again, with its own parser: hold it to the same limit.
            check_pixels(ImageInfo(info.format, *opened.size), max_pixels=max_pixels)
            upright = ImageOps.exif_transpose(opened)
            mode = "RGBA" if upright.has_transparency_data else "RGB"
            pixels = np.asarray(upright.convert(mode))
    except _DECODE_ERRORS as error:
        raise NotAnImageError(f"The {name} image cannot be decoded") from error
    code = cv2.COLOR_RGBA2BGRA if mode == "RGBA" else cv2.COLOR_RGB2BGR
    return cv2.cvtColor(pixels, code)


def without_metadata(
    data: bytes, *, max_bytes: int | None = None, max_pixels: int = MAX_IMAGE_PIXELS
) -> CleanImage:
    """The same picture, upright, with no metadata (EXIF, GPS, XMP, text); a HEIF as JPEG."""
    info = check_limits(data, max_bytes=max_bytes or len(data), max_pixels=max_pixels)
    # The orientation is applied while decoding, so the picture stays upright without its tag.
    image = decode_pixels(data, info, max_pixels=max_pixels)
    target = _kept_format(info.format, image)
    if target == "png":  # lossless: alpha and bit depth kept
        ok, encoded = cv2.imencode(".png", image)
    else:
        quality = cv2.IMWRITE_JPEG_QUALITY if target == "jpeg" else cv2.IMWRITE_WEBP_QUALITY
        ok, encoded = cv2.imencode(_SUFFIXES[target], image, [quality, JPEG_QUALITY])
    if not ok:
        raise NotAnImageError(f"The {FORMAT_NAMES[info.format]} image cannot be re-encoded")
    return CleanImage(bytes(encoded.tobytes()), target)


def _kept_format(source: str, image: npt.NDArray[Any]) -> str:
    if source != "heif":
        return source
    return "png" if image.ndim == 3 and image.shape[2] == 4 else "jpeg"
