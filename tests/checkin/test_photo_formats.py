"""Face photos as people have them (issue 16): JPEG, PNG, WebP and HEIC, upright, size-limited.

The WebP and HEIC photos are encoded here, with Pillow and pillow-heif, from the shared JPEGs.
A phone records how it was held: a JPEG or WebP in its EXIF orientation tag, a HEIC in a
rotation property ('irot'). The sideways photos below hold the same pixels with and without it.
"""

import io
import random
import re
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pillow_heif
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session
from typer.testing import CliRunner

from checkin import engine, evaluate, gallery
from checkin.errors import (
    ImageTooLargeError,
    NoFaceFoundError,
    NotAnImageError,
    TruncatedImageError,
)
from checkin.matching import distances
from cli import faces as cli_faces
from cli.main import app as hop
from core.imagemeta import without_metadata
from core.images import PHOTO_ACCEPT, PHOTO_SUFFIXES, check_limits, read_image_info
from models import Role
from tests.faces import PEOPLE, EnrolledPhoto
from tests.factories import assert_error, make_user
from tests.web.checkin_support import face_client, face_session, shared_pool, staff_and_meeting

pytestmark = pytest.mark.usefixtures("faces")

__all__ = ["face_client", "face_session"]

SOURCE = "obama/obama2.jpg"  # 626x1200, one face looking at the camera
ORIENTATION = 0x0112  # the EXIF tag
ROTATE_CW = 6  # "turn the stored picture 90 degrees clockwise to show it"
IROT_CW = 3  # HEIF's rotation counts anticlockwise quarter turns: 3 is one clockwise
# Re-encoding the same pixels moves an embedding a little; another person is 0.6 away.
SAME_FACE = 0.15

pillow_heif.register_heif_opener()


def source() -> Image.Image:
    with Image.open(PEOPLE / SOURCE) as opened:
        return opened.convert("RGB")


def encode(
    image: Image.Image, kind: str, *, orientation: int | None = None, **options: Any
) -> bytes:
    """The picture as a file of that kind, with an EXIF orientation tag when given."""
    if orientation is not None:
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        options["exif"] = exif
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def sideways() -> Image.Image:
    """The pixels a phone held on its side stores: the face lying on its side."""
    return source().transpose(Image.Transpose.ROTATE_90)


def with_heif_rotation(heic: bytes, quarter_turns: int) -> bytes:
    """The HEIC with a rotation property: pillow-heif writes none, so its 'pixi' property
    (bits per channel, which the decoder does without) becomes an 'irot' of the same length,
    keeping every box size and every offset into the picture data as they were."""
    start = heic.index(b"pixi") - 4
    (size,) = struct.unpack(">I", heic[start : start + 4])
    irot = struct.pack(">I4sB", size, b"irot", quarter_turns).ljust(size, b"\0")
    return heic[:start] + irot + heic[start + size :]


def rotated_photo(kind: str, *, tagged: bool) -> bytes:
    """The sideways pixels as a JPEG, WebP or HEIC, with or without the orientation."""
    if kind == "HEIF":
        heic = encode(sideways(), "HEIF", quality=90)
        return with_heif_rotation(heic, IROT_CW) if tagged else heic
    return encode(sideways(), kind, orientation=ROTATE_CW if tagged else None, quality=90)


def replaced(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value) :]


@pytest.fixture(scope="module")
def jpeg_face(enrolled_photos: list[EnrolledPhoto]) -> EnrolledPhoto:
    """The enrolment of the source JPEG (analysed once per session by the conftest)."""
    return next(photo for photo in enrolled_photos if photo.path == PEOPLE / SOURCE)


# -- every format a phone gives ----------------------------------------------------------------


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("kind", "options"),
    [("WEBP", {"quality": 90}), ("WEBP", {"lossless": True}), ("HEIF", {"quality": 90})],
    ids=["webp", "webp-lossless", "heic"],
)
def test_a_webp_or_heic_photo_enrols_the_same_face(
    kind: str,
    options: dict[str, Any],
    jpeg_face: EnrolledPhoto,
    enrolled_photos: list[EnrolledPhoto],
) -> None:
    data = encode(source(), kind, **options)
    assert read_image_info(data).format == kind.lower()
    face = engine.analyse_enrolment_photo(data)
    assert (face.width, face.height) == (626, 1200)
    assert distances(face.embedding, jpeg_face.face.embedding[None, :])[0, 0] < SAME_FACE
    # Usable: nearer to Obama's other photo than to anyone else's.
    others = [photo for photo in enrolled_photos if photo.path != jpeg_face.path]
    matrix = np.stack([photo.face.embedding for photo in others])
    nearest = others[int(np.argmin(distances(face.embedding, matrix)[0]))]
    assert nearest.person == "obama"


def test_a_transparent_webp_is_laid_on_white() -> None:
    picture = Image.new("RGBA", (40, 30), (200, 10, 10, 0))
    picture.paste((10, 20, 200, 255), (0, 0, 20, 30))
    image = engine.decode_image(encode(picture, "WEBP", lossless=True))
    assert image.shape == (30, 40, 3)
    assert image[15, 5].tolist() == [10, 20, 200]
    assert image[15, 35].tolist() == [255, 255, 255]


def test_a_kiosk_jpeg_is_decoded_as_before() -> None:
    frame = (PEOPLE.parent / "probes" / "obama-480p.jpg").read_bytes()
    before = cv2.imdecode(np.frombuffer(frame, np.uint8), cv2.IMREAD_COLOR)
    assert before is not None
    assert np.array_equal(engine.decode_image(frame), cv2.cvtColor(before, cv2.COLOR_BGR2RGB))


# -- upright before detection -------------------------------------------------------------------


@pytest.mark.nodb
@pytest.mark.parametrize("kind", ["JPEG", "WEBP", "HEIF"])
def test_a_photo_taken_sideways_is_detected_upright(kind: str, jpeg_face: EnrolledPhoto) -> None:
    face = engine.analyse_enrolment_photo(rotated_photo(kind, tagged=True))
    assert (face.width, face.height) == (626, 1200)
    assert face.box.iou(jpeg_face.face.box) > 0.8  # where the upright photo has it
    # The same pixels without the orientation: the face lies on its side and is not found.
    with pytest.raises(NoFaceFoundError):
        engine.analyse_enrolment_photo(rotated_photo(kind, tagged=False))


def test_a_kept_photo_is_upright_and_carries_no_metadata() -> None:
    for kind, kept in (("JPEG", "jpeg"), ("WEBP", "webp"), ("HEIF", "jpeg")):
        clean = without_metadata(rotated_photo(kind, tagged=True))
        assert clean.format == kept
        with Image.open(io.BytesIO(clean.data)) as reopened:
            assert reopened.size == (626, 1200), kind
            assert ORIENTATION not in reopened.getexif(), kind


# -- the size limits, before any decoder runs --------------------------------------------------


def webp_canvas_bomb() -> bytes:
    """A real WebP (its EXIF makes it the extended format) whose canvas claims 20000x20000."""
    data = encode(source(), "WEBP", orientation=1, quality=80)
    assert data[12:16] == b"VP8X"
    side = (20000 - 1).to_bytes(3, "little")
    return replaced(data, 24, side + side)  # after the chunk header and 4 bytes of flags


def webp_lossless_bomb() -> bytes:
    """A real lossless WebP whose bitstream claims 16384x16384 pixels."""
    data = encode(source(), "WEBP", lossless=True)
    assert data[12:16] == b"VP8L"
    (bits,) = struct.unpack("<I", data[21:25])
    claim = 0x3FFF | (0x3FFF << 14) | (bits & ~0xFFFFFFF)  # keep the alpha and version bits
    return replaced(data, 21, struct.pack("<I", claim))


def webp_frame_bomb() -> bytes:
    """A WebP whose canvas is modest but whose lossy frame claims 16383x16383."""
    data = encode(source(), "WEBP", orientation=1, quality=80)
    frame = data.index(b"VP8 ") + 8
    return replaced(data, frame + 6, struct.pack("<HH", 0x3FFF, 0x3FFF))


def heic_bomb() -> bytes:
    """A real HEIC whose image size property claims 30000x30000."""
    data = encode(source(), "HEIF", quality=60)
    ispe = data.index(b"ispe") + 8  # after its version and flags
    return replaced(data, ispe, struct.pack(">II", 30000, 30000))


BOMBS: dict[str, Callable[[], bytes]] = {
    "webp-canvas": webp_canvas_bomb,
    "webp-lossless": webp_lossless_bomb,
    "webp-frame": webp_frame_bomb,
    "heic": heic_bomb,
}


def forbid_decoders(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, any decoder run fails the test: a bomb must be refused from its header."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a decoder ran on a decompression bomb")

    monkeypatch.setattr(Image, "open", refuse)
    monkeypatch.setattr(cv2, "imdecode", refuse)


@pytest.mark.nodb
@pytest.mark.parametrize("make", BOMBS.values(), ids=BOMBS.keys())
def test_a_bomb_is_refused_before_decoding(
    make: Callable[[], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make()
    assert len(data) < 1_000_000
    forbid_decoders(monkeypatch)
    with pytest.raises(ImageTooLargeError, match="megapixels"):
        check_limits(data)
    with pytest.raises(ImageTooLargeError):
        engine.decode_image(data)
    with pytest.raises(ImageTooLargeError):
        without_metadata(data)


@pytest.mark.nodb
@pytest.mark.parametrize("kind", ["WEBP", "HEIF"])
def test_the_byte_limit_holds_for_every_format(kind: str) -> None:
    data = encode(source(), kind, quality=90)
    with pytest.raises(ImageTooLargeError, match="MB"):
        engine.decode_image(data, max_bytes=len(data) - 1)
    with pytest.raises(ImageTooLargeError, match="megapixels"):
        engine.decode_image(data, max_pixels=626 * 1200 - 1)


# -- broken files ------------------------------------------------------------------------------


@pytest.mark.nodb
@pytest.mark.parametrize("kind", ["WEBP", "HEIF"])
def test_a_cut_photo_is_truncated_wherever_it_is_cut(kind: str) -> None:
    data = encode(source(), kind, quality=90)
    for cut in (12, 40, len(data) // 2, len(data) - 1):
        with pytest.raises(TruncatedImageError, match=f"{'WebP' if kind == 'WEBP' else 'HEIF'}"):
            check_limits(data[:cut])


def garbage_webp() -> bytes:
    """A lossless WebP's header with valid sizes, then noise: only the decoder can tell.
    (A lossy bitstream of noise may well decode, to a picture of noise with no face.)"""
    data = encode(source(), "WEBP", lossless=True)
    return data[:25] + random.Random(16).randbytes(len(data) - 25)


def junk_webp() -> bytes:
    """The WebP magic, then junk where the picture's header should be."""
    data = encode(source(), "WEBP", quality=90)
    return data[:20] + random.Random(16).randbytes(len(data) - 20)


def garbage_heic() -> bytes:
    data = encode(source(), "HEIF", quality=60)
    start = data.index(b"mdat") + 12
    return data[:start] + random.Random(16).randbytes(len(data) - start)


@pytest.mark.nodb
@pytest.mark.parametrize("make", [garbage_webp, garbage_heic], ids=["webp", "heic"])
def test_noise_behind_a_valid_header_cannot_be_decoded(make: Callable[[], bytes]) -> None:
    data = make()
    check_limits(data)  # the header is fine
    with pytest.raises(NotAnImageError, match="cannot be decoded"):
        engine.decode_image(data)


HEIF_HEADER = b"\x00\x00\x00\x14ftypheic\x00\x00\x00\x00heic"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1avif", NotAnImageError),  # AV1, not HEVC
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isommp41", NotAnImageError),  # a video
        (b"\x00\x00\x00\x14ftypheic\x00\x00\x00\x00heic", TruncatedImageError),  # no meta
        (b"\x00\x00\x00\x14ftypmif1\x00\x00\x00\x00mif1", TruncatedImageError),  # any HEIF
        (HEIF_HEADER + struct.pack(">I4s", 8, b"free") * 5000, NotAnImageError),  # a maze
        (b"RIFF\x04\x00\x00\x00WEBP", NotAnImageError),  # no picture at all
        (b"GIF89a\x01\x00\x01\x00", NotAnImageError),
    ],
    ids=["avif", "mp4", "heic-header-only", "heif-header-only", "heif-maze", "webp-empty", "gif"],
)
def test_what_is_no_accepted_photo_says_so(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        read_image_info(data)


def test_the_refusal_names_the_accepted_formats() -> None:
    with pytest.raises(NotAnImageError, match="JPEG, PNG, WebP and HEIC"):
        read_image_info(b"GIF89a\x01\x00\x01\x00")


# -- through the API, the page and the commands ------------------------------------------------


def consenting(client: TestClient, session: Session) -> int:
    staff_and_meeting(client, session)
    person = make_user(session, full_name="Barack Obama")
    assert client.post(f"/api/people/{person.id}/consent", json={}).status_code == 201
    assert person.id is not None
    return person.id


def upload(client: TestClient, person_id: int, data: bytes, name: str, media: str):  # type: ignore[no-untyped-def]
    return client.post(f"/api/people/{person_id}/faces", files={"photo": (name, data, media)})


def test_the_api_enrols_a_heic_photo(face_client: TestClient, face_session: Session) -> None:
    person_id = consenting(face_client, face_session)
    photo = rotated_photo("HEIF", tagged=True)
    created = upload(face_client, person_id, photo, "IMG_0001.HEIC", "image/heic")
    assert created.status_code == 201, created.text
    assert len(face_client.get(f"/api/people/{person_id}/faces").json()) == 1


def broken_webps() -> dict[str, tuple[bytes, int, str]]:
    data = encode(source(), "WEBP", quality=90)
    return {
        "truncated": (data[: len(data) // 2], 422, "TruncatedImageError"),
        "garbage": (garbage_webp(), 415, "NotAnImageError"),
        "junk": (junk_webp(), 415, "NotAnImageError"),
        "bomb": (webp_canvas_bomb(), 413, "ImageTooLargeError"),
    }


def refuse_pool_work(*args: object, **kwargs: object) -> None:
    raise AssertionError("a refused photo took a face worker's time")


@pytest.mark.parametrize("case", ["truncated", "garbage", "junk", "bomb"])
def test_a_broken_webp_gets_a_clear_refusal_and_stores_nothing(
    case: str, face_client: TestClient, face_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, status, error = broken_webps()[case]
    person_id = consenting(face_client, face_session)
    if case != "garbage":  # refused from the header: it never takes a worker's time
        monkeypatch.setattr(shared_pool(), "run", refuse_pool_work)
    body = assert_error(upload(face_client, person_id, data, "a.webp", "image/webp"), status, error)
    assert "WebP" in body["detail"] or "megapixels" in body["detail"]
    # Said in Vietnamese (the default language): the catalogue has the words.
    assert body["message"] != body["detail"]
    assert face_client.get(f"/api/people/{person_id}/faces").json() == []
    answer = face_client.post(
        f"/api/people/{person_id}/faces?lang=en", files={"photo": ("a.webp", data, "image/webp")}
    )
    assert answer.json()["message"] == body["detail"]


def test_the_enrolment_page_offers_and_takes_every_photo_format(
    face_client: TestClient, face_session: Session
) -> None:
    person_id = consenting(face_client, face_session)
    page = face_client.get(f"/people/{person_id}/faces")
    found = re.search(r'id="enrol-photo"[^>]*accept="([^"]+)"', page.text)
    assert found is not None
    assert found.group(1) == PHOTO_ACCEPT
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    photo = rotated_photo("WEBP", tagged=True)
    enrolled = face_client.post(
        f"/people/{person_id}/faces?lang=en",
        data={"csrf_token": token.group(1)},
        files={"photo": ("photo.webp", photo, "image/webp")},
    )
    assert enrolled.status_code == 200, enrolled.text
    assert "The face was enrolled." in enrolled.text


def test_hop_enroll_takes_webp_and_heic_photos(
    session: Session, cli_env: dict[str, str], tmp_path: Path
) -> None:
    make_user(session, role=Role.secretariat, username="thuky")
    obama = make_user(session, username="obama", full_name="Barack Obama")
    folder = tmp_path / "photos" / "obama"
    folder.mkdir(parents=True)
    (folder / "IMG_0001.HEIC").write_bytes(rotated_photo("HEIF", tagged=True))
    (folder / "portrait.webp").write_bytes(encode(source(), "WEBP", quality=90))
    result = CliRunner().invoke(
        hop,
        ["enroll", str(folder.parent), "--consent-by", "thuky", "--workers", "0"],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    assert "Enrolled 2 photos" in result.output
    sources = {face.source for face in gallery.list_faces(session=session, person_id=obama.id or 0)}
    assert sources == {"obama/IMG_0001.HEIC", "obama/portrait.webp"}


def test_the_commands_read_every_photo_format(tmp_path: Path) -> None:
    assert cli_faces.IMAGE_SUFFIXES == evaluate.IMAGE_SUFFIXES == PHOTO_SUFFIXES
    for name in ("a.jpg", "b.JPEG", "c.png", "d.webp", "e.HEIC", "f.heif", "notes.txt", "g.gif"):
        (tmp_path / name).write_bytes(b"")
    found = [path.name for path in cli_faces._photos(tmp_path)]
    assert found == ["a.jpg", "b.JPEG", "c.png", "d.webp", "e.HEIC", "f.heif"]
