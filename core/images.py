"""Read an image's format and dimensions from its header, without decoding any pixels.

The size limits are enforced on these numbers before a decoder allocates anything, so a small
file whose header claims 30000x30000 pixels costs a few microseconds, not gigabytes. The
structure is walked far enough to tell a truncated file from a complete one. Photos come as
people have them: JPEG, PNG, WebP, and HEIC/HEIF from phones. The headers are read here in
plain Python, in the server's own process; only a face worker runs a decoder on the bytes.
"""

import itertools
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from core.errors import InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000

# The photo formats accepted wherever a face photo is (upload, `hop enroll`, `hop eval-faces`).
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"})
PHOTO_MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")
# A file input's accept=: the suffixes too, for systems that know no media type for HEIC.
PHOTO_ACCEPT = ",".join((*PHOTO_MEDIA_TYPES, *sorted(PHOTO_SUFFIXES)))


class ImageError(InvalidInputError):
    """An uploaded or streamed image that cannot be used."""


class EmptyImageError(ImageError):
    pass


class NotAnImageError(UnsupportedMediaTypeError):
    """The bytes are not a JPEG, PNG, WebP or HEIC/HEIF image."""


class TruncatedImageError(ImageError):
    pass


class ImageTooLargeError(PayloadTooLargeError):
    """Too many bytes or too many pixels."""


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8"
RIFF, WEBP = b"RIFF", b"WEBP"
# ISO base media brands of HEIF: coded with HEVC (HEIC, what phones write), or any coding
# ("mif1", "msf1"). AV1-coded HEIF (AVIF) is not one the decoder reads.
HEVC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
HEIF_BRANDS = HEVC_BRANDS | {b"mif1", b"msf1"}
AVIF_BRANDS = frozenset({b"avif", b"avis"})
# The WebP chunks that hold a picture: lossy, lossless, an animation frame.
_WEBP_PICTURES = frozenset({b"VP8 ", b"VP8L", b"ANMF"})
# The header is read on the event loop: a file of a million empty chunks (or properties) must
# not hold it for a second. A photo has a handful; further animation frames are held to the
# canvas by libwebp itself. Real HEIF item properties take a few kilobytes.
MAX_WEBP_CHUNKS = 64
MAX_HEIF_BOXES = 4096  # at one level
MAX_HEIF_PROPERTIES_BYTES = 64 * 1024
# Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})
_SOS, _EOI = 0xDA, 0xD9


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "jpeg", "png", "webp" or "heif"
    width: int
    height: int
    # A container's largest part (a HEIF tile, a WebP bitstream) may claim more than the
    # picture: the decoder allocates for it all the same.
    largest_part: int = 0

    @property
    def pixels(self) -> int:
        return max(self.width * self.height, self.largest_part)


def read_image_info(data: bytes) -> ImageInfo:
    """The format and dimensions; raises when the bytes are empty, of no accepted format, or
    cut short."""
    if not data:
        raise EmptyImageError("The image is empty")
    if data.startswith(PNG_SIGNATURE):
        return _png_info(data)
    if data.startswith(JPEG_SOI):
        return _jpeg_info(data)
    if data.startswith(RIFF) and data[8:12] == WEBP:
        return _webp_info(data)
    if data[4:8] == b"ftyp":
        return _heif_info(data)
    raise NotAnImageError("Not an image: only JPEG, PNG, WebP and HEIC photos are accepted")


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


def _webp_info(data: bytes) -> ImageInfo:
    (riff_size,) = struct.unpack("<I", data[4:8])
    if 8 + riff_size > len(data):
        raise TruncatedImageError("The WebP image is truncated")
    chunks = list(itertools.islice(_webp_chunks(data, 8 + riff_size), MAX_WEBP_CHUNKS))
    sizes = [size for size in map(_webp_chunk_size, chunks) if size]
    if not sizes or not any(kind in _WEBP_PICTURES for kind, _ in chunks):
        raise NotAnImageError("Not a valid WebP image: no image data")
    # The first sized chunk is the canvas (VP8X) or the only bitstream.
    width, height = sizes[0]
    return _checked(ImageInfo("webp", width, height, max(w * h for w, h in sizes)))


def _webp_chunks(data: bytes, end: int) -> Iterator[tuple[bytes, bytes]]:
    offset = 12  # after "RIFF", the size and "WEBP"
    while offset + 8 <= end:
        kind, length = struct.unpack("<4sI", data[offset : offset + 8])
        if offset + 8 + length > end:
            raise TruncatedImageError("The WebP image is truncated")
        yield kind, data[offset + 8 : offset + 8 + length]
        offset += 8 + length + (length & 1)  # chunks are padded to an even length


def _webp_chunk_size(chunk: tuple[bytes, bytes]) -> tuple[int, int] | None:
    """The (width, height) a chunk declares: canvas, lossy or lossless frame; None otherwise."""
    kind, payload = chunk
    if kind == b"VP8X" and len(payload) >= 10:
        # Flags (4 bytes), then canvas width-1 and height-1 in 24 bits each.
        return _u24(payload, 4) + 1, _u24(payload, 7) + 1
    if kind == b"VP8 " and len(payload) >= 10 and payload[3:6] == b"\x9d\x01\x2a":
        # After the 3-byte frame tag and the start code: 14-bit width and height (+2 scale bits).
        width, height = struct.unpack("<HH", payload[6:10])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(payload) >= 5 and payload[0] == 0x2F:
        (bits,) = struct.unpack("<I", payload[1:5])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"ANMF" and len(payload) >= 12:  # an animation frame: x, y, width-1, height-1
        return _u24(payload, 6) + 1, _u24(payload, 9) + 1
    if kind in (b"VP8 ", b"VP8L", b"VP8X"):
        raise NotAnImageError("Not a valid WebP image: bad frame header")
    return None


def _u24(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 3], "little")


def _heif_info(data: bytes) -> ImageInfo:
    # Where each top-level box is, not a copy of it: the picture data may be megabytes.
    spans = {kind: (start, end) for kind, start, end in _box_spans(data, 0, len(data))}
    ftyp = data[slice(*spans[b"ftyp"])]
    brands = {ftyp[i : i + 4] for i in range(0, len(ftyp), 4)}
    if not brands & HEIF_BRANDS or (brands & AVIF_BRANDS and not brands & HEVC_BRANDS):
        raise NotAnImageError("Not an image: only JPEG, PNG, WebP and HEIC photos are accepted")
    if b"meta" not in spans:
        raise TruncatedImageError("The HEIF image is truncated")
    start, end = spans[b"meta"]
    meta = dict(_boxes(data, start + 4, end))  # after the meta box's version and flags
    if b"mdat" not in spans and b"idat" not in meta:  # no coded picture anywhere
        raise TruncatedImageError("The HEIF image is truncated")
    sizes = _heif_sizes(meta)
    primary = sizes.get(_primary_item(meta))
    if primary is None:
        raise NotAnImageError("Not a valid HEIF image: the image size is missing")
    largest = max(w * h for w, h in sizes.values())
    return _checked(ImageInfo("heif", primary[0], primary[1], largest))


def _boxes(data: bytes, offset: int, end: int) -> Iterator[tuple[bytes, bytes]]:
    """(type, payload) of each ISO base media box between offset and end."""
    for kind, start, stop in _box_spans(data, offset, end):
        yield kind, data[start:stop]


def _box_spans(data: bytes, offset: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, start, end of its payload) of each ISO base media box between offset and end."""
    for _ in range(MAX_HEIF_BOXES):
        if offset >= end:
            return
        if offset + 8 > end:
            raise TruncatedImageError("The HEIF image is truncated")
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if offset + 16 > end:
                raise TruncatedImageError("The HEIF image is truncated")
            (size,) = struct.unpack(">Q", data[offset + 8 : offset + 16])
            header = 16
        elif size == 0:  # the last box runs to the end of the file
            size = end - offset
        if size < header:
            raise NotAnImageError("Not a valid HEIF image: bad box size")
        if offset + size > end:
            raise TruncatedImageError("The HEIF image is truncated")
        yield kind, offset + header, offset + size
        offset += size
    raise NotAnImageError("Not a valid HEIF image: too many boxes")


def _primary_item(meta: dict[bytes, bytes]) -> int:
    pitm = meta.get(b"pitm", b"")
    if len(pitm) >= 6 and pitm[0] == 0:
        return int(struct.unpack(">H", pitm[4:6])[0])
    if len(pitm) >= 8:
        return int(struct.unpack(">I", pitm[4:8])[0])
    raise NotAnImageError("Not a valid HEIF image: the primary image is missing")


def _heif_sizes(meta: dict[bytes, bytes]) -> dict[int, tuple[int, int]]:
    """Each item's (width, height): its image spatial extent ('ispe') property."""
    found = meta.get(b"iprp", b"")
    if len(found) > MAX_HEIF_PROPERTIES_BYTES:
        raise NotAnImageError("Not a valid HEIF image: bad item properties")
    iprp = list(_boxes(found, 0, len(found)))
    ipco = next((payload for kind, payload in iprp if kind == b"ipco"), b"")
    properties = list(_boxes(ipco, 0, len(ipco)))
    sizes: dict[int, tuple[int, int]] = {}
    for item, index in _associations(payload for kind, payload in iprp if kind == b"ipma"):
        if 0 < index <= len(properties) and properties[index - 1][0] == b"ispe":
            ispe = properties[index - 1][1]
            if len(ispe) < 12:
                raise NotAnImageError("Not a valid HEIF image: the image size is missing")
            sizes[item] = struct.unpack(">II", ispe[4:12])  # after version and flags
    return sizes


def _associations(ipmas: Iterable[bytes]) -> Iterator[tuple[int, int]]:
    """(item id, property index from 1) of the item property associations ('ipma')."""
    for ipma in ipmas:
        reader = _Reader(ipma)
        version, flags = reader.take(1)[0], int.from_bytes(reader.take(3), "big")
        for _ in range(reader.number(4)):
            item = reader.number(4 if version >= 1 else 2)
            for _ in range(reader.number(1)):
                # The top bit says "essential"; the rest is the index, in 7 or 15 bits.
                if flags & 1:
                    yield item, reader.number(2) & 0x7FFF
                else:
                    yield item, reader.number(1) & 0x7F


class _Reader:
    """Big-endian numbers read in turn from a box's payload; short data is a broken file."""

    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def take(self, count: int) -> bytes:
        if self.offset + count > len(self.data):
            raise NotAnImageError("Not a valid HEIF image: bad item properties")
        self.offset += count
        return self.data[self.offset - count : self.offset]

    def number(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")


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
    check_pixels(info, max_pixels=max_pixels)
    return info


def check_pixels(info: ImageInfo, *, max_pixels: int = MAX_IMAGE_PIXELS) -> None:
    """Refuse a picture (or a part of it) of more pixels than a decoder may allocate."""
    if info.pixels > max_pixels:
        raise ImageTooLargeError(
            f"The image has {info.width}x{info.height} pixels; "
            f"at most {max_pixels // 1_000_000} megapixels are accepted"
        )
