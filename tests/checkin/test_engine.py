"""The engine: refusing bad images before decoding, decoding every kind we accept, detecting
and encoding faces, and the enrolment quality checks."""

import struct
import zlib

import cv2
import numpy as np
import pytest

from checkin import engine
from checkin.engine import Box, DetectOptions, FrameOptions
from checkin.errors import (
    EmptyImageError,
    FaceTooBlurryError,
    FaceTooSmallError,
    ImageTooLargeError,
    MultipleFacesError,
    NoFaceFoundError,
    NotAnImageError,
    TruncatedImageError,
)
from core.errors import InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError
from core.images import _jpeg_segments, read_image_info
from tests.faces import PEOPLE, PROBES


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_claiming(width: int, height: int) -> bytes:
    """A small, structurally complete PNG whose header claims width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def encode(image: np.ndarray, ext: str = ".png") -> bytes:
    ok, buffer = cv2.imencode(ext, image)
    assert ok
    return buffer.tobytes()


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if OpenCV is asked to decode anything."""

    def refuse(*_: object) -> None:
        raise AssertionError("cv2.imdecode must not be called for this input")

    monkeypatch.setattr(engine.cv2, "imdecode", refuse)


def test_empty_bytes_are_refused() -> None:
    with pytest.raises(EmptyImageError) as caught:
        engine.decode_image(b"")
    assert isinstance(caught.value, InvalidInputError)
    assert caught.value.status_code == 422


def test_a_text_file_is_not_an_image() -> None:
    with pytest.raises(NotAnImageError) as caught:
        engine.decode_image(b"Minutes of the meeting\nItem 1: budget\n")
    assert isinstance(caught.value, UnsupportedMediaTypeError)


def test_a_truncated_jpeg_is_refused(jpeg_bytes: bytes, no_decoding: None) -> None:
    for cut in (len(jpeg_bytes) // 2, len(jpeg_bytes) - 2, 300, 3):
        with pytest.raises(TruncatedImageError):
            engine.decode_image(jpeg_bytes[:cut])


def test_a_truncated_png_is_refused(no_decoding: None) -> None:
    data = (PEOPLE / "alex_lacamoire" / "img2.png").read_bytes()
    with pytest.raises(TruncatedImageError):
        engine.decode_image(data[: len(data) - 20])


def test_a_png_header_claiming_30000_squared_pixels_never_decodes(no_decoding: None) -> None:
    data = png_claiming(30_000, 30_000)
    assert len(data) < 200
    assert read_image_info(data).pixels == 900_000_000
    with pytest.raises(ImageTooLargeError) as caught:
        engine.decode_image(data)
    assert isinstance(caught.value, PayloadTooLargeError)
    assert "30000x30000" in caught.value.detail


def test_a_jpeg_header_claiming_30000_squared_pixels_never_decodes(
    jpeg_bytes: bytes, no_decoding: None
) -> None:
    data = bytearray(jpeg_bytes)
    # The frame header's payload: precision, height, width.
    start = next(offset for marker, offset, _ in _jpeg_segments(jpeg_bytes) if marker == 0xC0)
    data[start + 1 : start + 5] = struct.pack(">HH", 30_000, 30_000)
    with pytest.raises(ImageTooLargeError):
        engine.decode_image(bytes(data))


def test_more_than_ten_megabytes_is_refused_before_parsing(no_decoding: None) -> None:
    data = png_claiming(10, 10) + b"\x00" * (10 * 1024 * 1024)
    with pytest.raises(ImageTooLargeError, match="10 MB"):
        engine.decode_image(data)


def test_limits_are_configurable() -> None:
    with pytest.raises(ImageTooLargeError):
        engine.decode_image(png_claiming(2000, 2000), max_pixels=1_000_000)


def test_garbage_after_a_jpeg_signature_is_not_an_image() -> None:
    with pytest.raises((NotAnImageError, TruncatedImageError)):
        engine.decode_image(b"\xff\xd8" + b"\x17" * 500)


def test_jpeg_decodes_to_rgb(jpeg_bytes: bytes) -> None:
    image = engine.decode_image(jpeg_bytes)
    assert image.shape == (480, 853, 3)
    assert image.dtype == np.uint8


def test_png_with_alpha_is_laid_on_white() -> None:
    bgra = np.zeros((4, 4, 4), dtype=np.uint8)
    bgra[..., 2] = 200  # red, fully transparent except one pixel
    bgra[0, 0, 3] = 255
    image = engine.decode_image(encode(bgra))
    assert image.shape == (4, 4, 3)
    assert tuple(image[0, 0]) == (200, 0, 0)
    assert tuple(image[3, 3]) == (255, 255, 255)


def test_grayscale_and_16_bit_pngs_become_rgb() -> None:
    grey = np.full((6, 5), 90, dtype=np.uint8)
    assert engine.decode_image(encode(grey)).shape == (6, 5, 3)
    deep = np.full((6, 5, 3), 40_000, dtype=np.uint16)
    image = engine.decode_image(encode(deep))
    assert image.dtype == np.uint8
    assert int(image[0, 0, 0]) == 40_000 >> 8


def test_grayscale_jpeg_becomes_rgb() -> None:
    grey = np.tile(np.arange(64, dtype=np.uint8), (64, 1))
    assert engine.decode_image(encode(grey, ".jpg")).shape == (64, 64, 3)


def test_box_iou() -> None:
    a = Box(top=0, right=10, bottom=10, left=0)
    assert a.iou(a) == 1.0
    assert a.iou(Box(top=0, right=20, bottom=10, left=10)) == 0.0
    assert a.iou(Box(top=0, right=15, bottom=10, left=5)) == pytest.approx(50 / 150)


def test_detection_scale_follows_the_smallest_face_asked_for() -> None:
    kiosk = engine.KIOSK_DETECTION
    assert kiosk.scale_for(640, 480) == 1.0  # a webcam frame as it is: faces from 80 px
    assert DetectOptions(min_face_px=64).scale_for(640, 480) == pytest.approx(80 / 64)
    assert engine.PHOTO_DETECTION.scale_for(4000, 3000) < 0.35  # a phone photo is shrunk
    assert DetectOptions(min_face_px=10).scale_for(100, 100) == 2.0  # never more than 2x


def test_a_small_face_is_found_and_boxes_map_to_the_original(probe_analyses: dict) -> None:
    small = probe_analyses["obama-240p.jpg"]
    assert (small.width, small.height) == (427, 240)
    [face] = small.faces
    assert 50 <= face.box.size <= 80
    assert 0 <= face.box.left < face.box.right <= 427


def test_embeddings_are_128_float32(probe_analyses: dict) -> None:
    for analysis in probe_analyses.values():
        for face in analysis.faces:
            assert face.embedding is not None
            assert face.embedding.shape == (128,)
            assert face.embedding.dtype == np.float32
            assert face.landmarks is not None
            assert face.landmarks.shape == (68, 2)


def test_the_same_face_at_three_sizes_has_nearly_the_same_embedding(probe_analyses: dict) -> None:
    sizes = [probe_analyses[f"obama-{p}.jpg"].faces[0].embedding for p in ("240p", "480p", "720p")]
    for embedding in sizes[1:]:
        assert np.linalg.norm(embedding - sizes[0]) < 0.2


def test_skip_boxes_are_not_encoded(jpeg_bytes: bytes, probe_analyses: dict) -> None:
    box = probe_analyses["obama-480p.jpg"].faces[0].box
    analysis = engine.analyse_frame(jpeg_bytes, FrameOptions(skip_boxes=(box,)))
    [face] = analysis.faces
    assert face.embedding is None
    assert set(analysis.timings_ms) == {"decode", "detect", "encode"}


def test_enrolment_refuses_two_faces() -> None:
    with pytest.raises(MultipleFacesError, match="2 faces"):
        engine.analyse_enrolment_photo((PROBES / "kit_with_rose.jpg").read_bytes())


def test_enrolment_refuses_a_photo_without_a_face() -> None:
    wall = np.full((300, 400, 3), 180, dtype=np.uint8)
    with pytest.raises(NoFaceFoundError):
        engine.analyse_enrolment_photo(encode(wall, ".jpg"))


def test_enrolment_refuses_a_small_face() -> None:
    with pytest.raises(FaceTooSmallError, match="at least 80"):
        engine.analyse_enrolment_photo((PROBES / "obama-240p.jpg").read_bytes())


def test_enrolment_refuses_a_blurry_face() -> None:
    image = cv2.imread(str(PEOPLE / "obama" / "obama.jpg"))
    blurred = cv2.GaussianBlur(image, (0, 0), 6)
    with pytest.raises(FaceTooBlurryError, match="blurry"):
        engine.analyse_enrolment_photo(encode(blurred, ".jpg"))


def test_every_enrolment_photo_passes_the_quality_checks(enrolled_photos: list) -> None:
    assert len(enrolled_photos) == 11
    for photo in enrolled_photos:
        assert photo.face.box.size >= engine.MIN_ENROL_FACE_PX
        assert photo.face.sharpness >= engine.MIN_ENROL_SHARPNESS


def test_header_dimensions_match_the_decoded_images() -> None:
    for path in sorted(PEOPLE.glob("*/*")) + sorted(PROBES.iterdir()):
        data = path.read_bytes()
        info = read_image_info(data)
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        assert decoded.shape[:2] == (info.height, info.width), path.name


def test_embeddings_never_reach_a_printed_repr(probe_analyses: dict, enrolled_photos: list) -> None:
    text = repr(probe_analyses["obama1.jpg"]) + repr(enrolled_photos[0].face)
    assert "Face(box=Box(" in text
    assert "embedding" not in text
    assert "landmarks" not in text
