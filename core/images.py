"""Read an image's format and dimensions from its header, without decoding any pixels.

The size limits are enforced on these numbers before OpenCV allocates anything, so a small
file whose header claims 30000x30000 pixels costs a few microseconds, not gigabytes. The
structure is walked far enough to tell a truncated file from a complete one.
"""

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from core.errors import InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000


class ImageError(InvalidInputError):
    """An uploaded or streamed image that cannot be used."""


class EmptyImageError(ImageError):
    pass


class NotAnImageError(UnsupportedMediaTypeError):
    """The bytes are not a JPEG or PNG image."""


class TruncatedImageError(ImageError):
    pass


class ImageTooLargeError(PayloadTooLargeError):
    """Too many bytes or too many pixels."""


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8"
# Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})
_SOS, _EOI = 0xDA, 0xD9


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "jpeg" or "png"
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def read_image_info(data: bytes) -> ImageInfo:
    """The format and dimensions; raises when the bytes are empty, not JPEG/PNG, or cut short."""
    if not data:
        raise EmptyImageError("The image is empty")
    if data.startswith(PNG_SIGNATURE):
        return _png_info(data)
    if data.startswith(JPEG_SOI):
        return _jpeg_info(data)
    raise NotAnImageError("Not an image: only JPEG and PNG are accepted")


def _png_info(data: bytes) -> ImageInfo:
    chunks = _png_chunks(data)
    first = next(chunks, None)
    if first is None or first[0] != b"IHDR" or len(first[1]) < 8:
        raise NotAnImageError("Not a valid PNG image: the IHDR header is missing")
    width, height = struct.unpack(">II", first[1][:8])
    if not any(kind == b"IEND" for kind, _ in chunks):
        raise TruncatedImageError("The PNG image is truncated")
    return _checked(ImageInfo("png", width, height))


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        end = offset + 8 + length + 4  # type, data, CRC
        if end > len(data):
            raise TruncatedImageError("The PNG image is truncated")
        yield kind, data[offset + 8 : offset + 8 + length]
        if kind == b"IEND":
            return
        offset = end


def _jpeg_info(data: bytes) -> ImageInfo:
    info: ImageInfo | None = None
    for marker, offset, length in _jpeg_segments(data):
        if marker in _SOF_MARKERS and info is None:
            if length < 5:
                raise NotAnImageError("Not a valid JPEG image: bad frame header")
            # Payload: sample precision (1 byte), height, width (2 bytes each).
            height, width = struct.unpack(">HH", data[offset + 1 : offset + 5])
            info = ImageInfo("jpeg", width, height)
        elif marker == _SOS:
            if info is None:
                raise NotAnImageError("Not a valid JPEG image: no frame header")
            # The entropy-coded data never holds FF D9 (FF bytes are stuffed), so the
            # end-of-image marker after the first scan tells a complete file.
            if data.rfind(b"\xff\xd9", offset) < 0:
                raise TruncatedImageError("The JPEG image is truncated")
            return _checked(info)
    raise TruncatedImageError("The JPEG image is truncated")


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(marker, offset of its payload, payload length) for each header segment."""
    offset = 2
    while offset < len(data):
        if data[offset] != 0xFF:
            raise NotAnImageError("Not a valid JPEG image: bad marker")
        while offset < len(data) and data[offset] == 0xFF:  # fill bytes
            offset += 1
        if offset >= len(data):
            break
        marker = data[offset]
        offset += 1
        if marker == _EOI:
            raise NotAnImageError("Not a valid JPEG image: it ends before any scan")
        if marker in _STANDALONE:
            continue
        if offset + 2 > len(data):
            break
        (length,) = struct.unpack(">H", data[offset : offset + 2])
        if length < 2:
            raise NotAnImageError("Not a valid JPEG image: bad segment length")
        if offset + length > len(data):
            break
        yield marker, offset + 2, length - 2
        offset += length
    raise TruncatedImageError("The JPEG image is truncated")


def _checked(info: ImageInfo) -> ImageInfo:
    if info.width <= 0 or info.height <= 0:
        raise NotAnImageError("Not a valid image: zero width or height")
    return info


def check_limits(
    data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS
) -> ImageInfo:
    """The image's header, or an error when it is empty, not an image, cut short or too big."""
    if len(data) > max_bytes:
        raise ImageTooLargeError(f"The image is larger than {max_bytes // (1024 * 1024)} MB")
    info = read_image_info(data)
    if info.pixels > max_pixels:
        raise ImageTooLargeError(
            f"The image has {info.width}x{info.height} pixels; "
            f"at most {max_pixels // 1_000_000} megapixels are accepted"
        )
    return info
