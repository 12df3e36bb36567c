"""Uploads that could act on a delegate's tablet are refused; pictures lose their metadata;
downloads say what they are and may not be sniffed into something else."""

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from sqlmodel import Session, SQLModel, func, select

from checkin.gallery import keep_photo
from core.imagemeta import without_metadata
from meetings.pdfcheck import find_active_content
from models import Blob, Document, DocumentVersion, Event, Meeting
from tests.factories import (
    assert_error,
    pdf_bytes,
    stored_files,
    upload,
)
from web.settings import Settings

GPS_IFD = 0x8825
MAKE = 0x010F


def _writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    return writer


def _bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_javascript() -> bytes:
    """Document-level JavaScript, in the catalogue's /Names /JavaScript tree."""
    writer = _writer()
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('hi');"),
        }
    )
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("a"), writer._add_object(action)])}
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )
    return _bytes(writer)


def pdf_with_open_action_launch() -> bytes:
    writer = _writer()
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return _bytes(writer)


def pdf_with_launch_in_an_annotation() -> bytes:
    """The action hidden in a link annotation's /A, not in the catalogue."""
    writer = _writer()
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (10, 10, 100, 100)]),
            NameObject("/A"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/Launch"),
                    NameObject("/F"): TextStringObject("cmd.exe"),
                }
            ),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    return _bytes(writer)


def pdf_with_page_aa_javascript() -> bytes:
    """JavaScript run when a page opens (/AA /O), with its name written escaped."""
    writer = _writer()
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("this.print()"),
        }
    )
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): action})
    data = _bytes(writer)
    # PDF names may escape any byte as #xx: /J#61vaScript is /JavaScript to a viewer.
    return data.replace(b"/S /JavaScript", b"/S /J#61vaScript")


def pdf_with_embedded_file() -> bytes:
    writer = _writer()
    writer.add_attachment("setup.exe", b"MZ\x90\x00 not a real program")
    return _bytes(writer)


UNSAFE: dict[str, tuple[Callable[[], bytes], str]] = {
    "javascript": (pdf_with_javascript, "JavaScript"),
    "open-action-launch": (pdf_with_open_action_launch, "launch action"),
    "annotation-launch": (pdf_with_launch_in_an_annotation, "launch action"),
    "page-aa-escaped-js": (pdf_with_page_aa_javascript, "JavaScript"),
    "embedded-file": (pdf_with_embedded_file, "embedded files"),
}


def jpeg_with_gps(width: int = 64, height: int = 48) -> bytes:
    """A JPEG whose EXIF carries a camera make and a GPS position (Hà Nội)."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[MAKE] = "SpyPhone"
    exif[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 51.0, 12.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes(), quality=90)
    return buffer.getvalue()


def assert_no_metadata(data: bytes) -> None:
    assert b"Exif" not in data
    assert b"SpyPhone" not in data
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert MAKE not in exif
        assert GPS_IFD not in exif
        assert not exif.get_ifd(GPS_IFD)


def count(session: Session, table: type[SQLModel]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def state_of(session: Session, settings: Settings) -> tuple[int, int, int, int, list[Path]]:
    session.expire_all()
    return (
        count(session, Document),
        count(session, DocumentVersion),
        count(session, Blob),
        count(session, Event),
        stored_files(settings.storage_dir),
    )


@pytest.mark.usefixtures("clerk_client")
@pytest.mark.parametrize("kind", list(UNSAFE))
def test_a_pdf_with_active_content_is_refused_and_nothing_changes(
    client: TestClient, session: Session, settings: Settings, meeting: Meeting, kind: str
) -> None:
    make, named = UNSAFE[kind]
    before = state_of(session, settings)
    body = assert_error(
        upload(client, meeting.id, make()), 422, "UnsafeDocumentError", field="file"
    )
    assert named in body["detail"]
    assert state_of(session, settings) == before


@pytest.mark.usefixtures("clerk_client")
def test_a_new_version_with_javascript_is_refused_and_the_old_one_stays(
    client: TestClient, session: Session, settings: Settings, meeting: Meeting
) -> None:
    created = upload(client, meeting.id, pdf_bytes("bản gốc"))
    assert created.status_code == 201, created.text
    document_id = created.json()["id"]
    before = state_of(session, settings)
    files = {"file": ("v2.pdf", pdf_with_javascript(), "application/pdf")}
    refused = client.post(f"/api/documents/{document_id}/versions", files=files)
    assert_error(refused, 422, "UnsafeDocumentError")
    assert state_of(session, settings) == before
    assert client.get(f"/api/documents/{document_id}").json()["version"]["number"] == 1


@pytest.mark.usefixtures("clerk_client")
def test_a_clean_pdf_is_accepted_byte_for_byte(
    client: TestClient, session: Session, meeting: Meeting
) -> None:
    content = pdf_bytes("Tờ trình sạch")
    assert list(find_active_content(_path(content))) == []
    created = upload(client, meeting.id, content)
    assert created.status_code == 201, created.text
    stored = client.get(f"/api/documents/{created.json()['id']}/content")
    assert stored.content == content


@pytest.mark.usefixtures("clerk_client")
def test_a_pdf_that_cannot_be_read_is_refused_with_422(
    client: TestClient, session: Session, settings: Settings, meeting: Meeting
) -> None:
    before = state_of(session, settings)
    broken = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ntrailer\n<<>>\n"
    response = upload(client, meeting.id, broken)
    assert response.status_code == 422, response.text
    assert state_of(session, settings) == before


@pytest.mark.usefixtures("clerk_client")
def test_the_upload_page_says_why_in_vietnamese_and_english(
    client: TestClient, session: Session, meeting: Meeting
) -> None:
    csrf = client.cookies.get("hop_csrf")
    for language, expected in (("vi", "chứa mã lệnh (JavaScript)"), ("en", "contains JavaScript")):
        response = client.post(
            f"/meetings/{meeting.id}/documents?lang={language}",
            data={"title": "Có mã độc", "csrf_token": csrf},
            files={"file": ("x.pdf", pdf_with_javascript(), "application/pdf")},
            headers={"accept": "text/html"},
        )
        assert response.status_code == 422, response.text
        assert expected in response.text


@pytest.mark.usefixtures("clerk_client")
def test_a_photo_document_is_stored_without_exif_or_gps(
    client: TestClient, session: Session, meeting: Meeting
) -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:  # the fixture really carries them
        assert image.getexif().get_ifd(GPS_IFD)
    created = upload(
        client, meeting.id, original, filename="hien-truong.jpg", media_type="image/jpeg"
    )
    assert created.status_code == 201, created.text
    assert created.json()["version"]["media_type"] == "image/jpeg"
    stored = client.get(f"/api/documents/{created.json()['id']}/content").content
    assert_no_metadata(stored)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (64, 48)


def test_a_kept_enrolment_photo_has_no_metadata(tmp_path: Path) -> None:
    clean = without_metadata(jpeg_with_gps())
    assert clean.format == "jpeg"
    assert_no_metadata(clean.data)
    kept = Path(keep_photo(photo_dir=tmp_path / "faces", person_id=7, data=jpeg_with_gps()))
    assert kept.suffix == ".jpg"
    assert_no_metadata(kept.read_bytes())
    assert kept.stat().st_mode & 0o077 == 0  # readable by the server's user only


@pytest.mark.usefixtures("clerk_client")
def test_downloads_carry_disposition_and_nosniff(
    client: TestClient, session: Session, meeting: Meeting
) -> None:
    created = upload(client, meeting.id, pdf_bytes(), filename="Tờ trình số 1.pdf")
    assert created.status_code == 201, created.text
    url = f"/api/documents/{created.json()['id']}/content"
    for query, disposition in (("", "inline"), ("?download=true", "attachment")):
        response = client.get(url + query)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-type"] == "application/pdf"
        header = response.headers["content-disposition"]
        assert header.startswith(f"{disposition}; ")
        # RFC 6266/5987: an ASCII fallback and the UTF-8 name, percent-encoded.
        assert 'filename="' in header
        assert "filename*=UTF-8''T%E1%BB%9D%20tr%C3%ACnh%20s%E1%BB%91%201.pdf" in header
        assert "\n" not in header
        assert "\r" not in header


def _path(content: bytes) -> Path:
    import tempfile

    handle = tempfile.NamedTemporaryFile(suffix=".pdf", delete=False)  # noqa: SIM115
    with handle:
        handle.write(content)
    return Path(handle.name)
