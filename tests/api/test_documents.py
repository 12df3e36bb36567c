"""Documents through the API: upload and versions, publish, new/updated marks, content with
ETag and Range, storage once by sha256, and refused uploads that leave nothing behind."""

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, SQLModel, col, func, select

from models import Blob, Document, DocumentVersion, Event, Meeting, Person, ReadReceipt, Role
from tests.factories import (
    assert_error,
    invite,
    login,
    make_meeting,
    make_user,
    pdf_bytes,
    stored_files,
    upload,
)
from web.settings import Settings

MB = 1024 * 1024


@dataclass
class Setup:
    clerk: Person
    meeting: Meeting


@pytest.fixture
def setup(client: TestClient, session: Session) -> Setup:
    """A meeting, with the client logged in as the secretariat."""
    clerk = make_user(session, role=Role.secretariat)
    login(client, clerk)
    return Setup(clerk=clerk, meeting=make_meeting(session, creator=clerk))


def count(session: Session, table: type[SQLModel]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def row_counts(session: Session) -> tuple[int, int, int]:
    return count(session, Document), count(session, DocumentVersion), count(session, Blob)


def document_events(session: Session) -> list[str]:
    query = select(Event.type).where(col(Event.type).startswith("document."))
    return list(session.exec(query))


def assert_nothing_stored(session: Session, settings: Settings) -> None:
    assert row_counts(session) == (0, 0, 0)
    assert document_events(session) == []
    assert stored_files(settings.storage_dir) == []


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def new_version(client: TestClient, document_id: int, content: bytes) -> Response:
    files = {"file": ("v.pdf", content, "application/pdf")}
    return client.post(f"/api/documents/{document_id}/versions", files=files)


def uploaded_id(client: TestClient, meeting: Meeting, content: bytes | None = None) -> int:
    response = upload(client, meeting.id, content)
    assert response.status_code == 201, response.text
    document_id: int = response.json()["id"]
    return document_id


def published_id(client: TestClient, meeting: Meeting, content: bytes | None = None) -> int:
    document_id = uploaded_id(client, meeting, content)
    assert client.post(f"/api/documents/{document_id}/publish").status_code == 200
    return document_id


def test_upload_makes_a_draft_at_version_1(
    client: TestClient, session: Session, setup: Setup, settings: Settings
) -> None:
    content = pdf_bytes("Tờ trình số 1")
    response = upload(client, setup.meeting.id, content, title="Tờ trình số 1")
    assert response.status_code == 201, response.text
    document = response.json()
    assert (document["title"], document["status"]) == ("Tờ trình số 1", "draft")
    assert document["current_version"] == 1
    assert document["published_at"] is None
    version = document["version"]
    assert version["number"] == 1
    assert (version["size"], version["sha256"]) == (len(content), sha256(content))
    assert version["media_type"] == "application/pdf"
    assert version["filename"] == "to-trinh.pdf"
    digest = sha256(content)
    assert stored_files(settings.storage_dir) == [settings.storage_dir / digest[:2] / digest]
    assert document_events(session) == ["document.added"]


def test_upload_to_an_agenda_item(client: TestClient, setup: Setup) -> None:
    item_id = client.get(f"/api/meetings/{setup.meeting.id}/agenda").json()[0]["id"]
    response = client.post(
        f"/api/meetings/{setup.meeting.id}/documents",
        data={"title": "Chương trình", "agenda_item_id": str(item_id)},
        files={"file": ("ct.pdf", pdf_bytes(), "application/pdf")},
    )
    assert response.json()["agenda_item_id"] == item_id


def test_the_type_comes_from_the_content_not_the_name(client: TestClient, setup: Setup) -> None:
    response = upload(client, setup.meeting.id, filename="bao-cao.txt", media_type="text/plain")
    assert response.status_code == 201
    assert response.json()["version"]["media_type"] == "application/pdf"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_office_documents_are_recognised(client: TestClient, setup: Setup) -> None:
    response = upload(client, setup.meeting.id, docx_bytes(), filename="du-thao.docx")
    assert response.status_code == 201, response.text
    assert response.json()["version"]["media_type"].endswith("wordprocessingml.document")


def test_new_version_becomes_current(client: TestClient, setup: Setup) -> None:
    first, second = pdf_bytes("bản 1"), pdf_bytes("bản 2")
    document_id = uploaded_id(client, setup.meeting, first)
    response = new_version(client, document_id, second)
    assert response.status_code == 201, response.text
    assert response.json()["current_version"] == 2
    assert response.json()["version"]["sha256"] == sha256(second)
    versions = client.get(f"/api/documents/{document_id}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert all(datetime.fromisoformat(v["uploaded_at"]).tzinfo for v in versions)
    url = f"/api/documents/{document_id}/content"
    assert client.get(url).content == second
    assert client.get(url, params={"version": 1}).content == first
    assert_error(client.get(url, params={"version": 3}), 404, "DocumentNotFoundError")


def test_publish(client: TestClient, setup: Setup) -> None:
    document_id = uploaded_id(client, setup.meeting)
    response = client.post(f"/api/documents/{document_id}/publish")
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    published_at = response.json()["published_at"]
    assert published_at is not None
    again = client.post(f"/api/documents/{document_id}/publish")
    assert again.json()["published_at"] == published_at  # publishing twice changes nothing


def marks(client: TestClient, meeting: Meeting) -> list[tuple[bool, bool]]:
    listed = client.get(f"/api/meetings/{meeting.id}/documents").json()
    return [(document["unread"], document["updated"]) for document in listed]


def test_new_version_is_updated_for_readers_and_unread_for_others(
    client: TestClient, session: Session, setup: Setup
) -> None:
    reader, absent = make_user(session), make_user(session)
    for person in (reader, absent):
        invite(session, setup.meeting, person)
    document_id = published_id(client, setup.meeting)
    login(client, reader)
    assert marks(client, setup.meeting) == [(True, False)]  # new
    assert client.get(f"/api/documents/{document_id}/content").status_code == 200
    assert marks(client, setup.meeting) == [(False, False)]
    login(client, setup.clerk)
    assert new_version(client, document_id, pdf_bytes("bản sửa")).status_code == 201
    login(client, reader)
    assert marks(client, setup.meeting) == [(False, True)]  # updated
    assert client.get(f"/api/documents/{document_id}").json()["updated"] is True
    client.get(f"/api/documents/{document_id}/content")
    assert marks(client, setup.meeting) == [(False, False)]
    login(client, absent)
    assert marks(client, setup.meeting) == [(True, False)]  # never opened: still new


def test_read_receipt_is_recorded_once(client: TestClient, session: Session, setup: Setup) -> None:
    delegate = make_user(session)
    invite(session, setup.meeting, delegate)
    document_id = published_id(client, setup.meeting)
    login(client, delegate)
    for _ in range(3):
        assert client.get(f"/api/documents/{document_id}/content").status_code == 200
    receipts = session.exec(select(ReadReceipt)).all()
    assert [receipt.person_id for receipt in receipts] == [delegate.id]


def test_content_has_an_etag_and_answers_304(client: TestClient, setup: Setup) -> None:
    content = pdf_bytes()
    document_id = uploaded_id(client, setup.meeting, content)
    url = f"/api/documents/{document_id}/content"
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["etag"] == f'"{sha256(content)}"'
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    assert response.headers["accept-ranges"] == "bytes"
    etag = response.headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}'):
        cached = client.get(url, headers={"if-none-match": header})
        assert cached.status_code == 304, header
        assert cached.content == b""
        assert cached.headers["etag"] == etag
    assert client.get(url, headers={"if-none-match": '"stale"'}).status_code == 200


def test_download_is_an_attachment(client: TestClient, setup: Setup) -> None:
    document_id = uploaded_id(client, setup.meeting)
    response = client.get(f"/api/documents/{document_id}/content", params={"download": True})
    assert response.headers["content-disposition"].startswith("attachment")


def test_range_request_returns_the_part(client: TestClient, setup: Setup) -> None:
    content = pdf_bytes()
    document_id = uploaded_id(client, setup.meeting, content)
    url = f"/api/documents/{document_id}/content"
    first = client.get(url, headers={"range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-99/{len(content)}"
    assert first.content == content[:100]
    rest = client.get(url, headers={"range": "bytes=100-"})
    assert rest.status_code == 206
    assert first.content + rest.content == content


def test_identical_files_are_stored_once(
    client: TestClient, session: Session, setup: Setup, settings: Settings
) -> None:
    content = pdf_bytes("giống nhau")
    first = uploaded_id(client, setup.meeting, content)
    second = uploaded_id(client, setup.meeting, content)
    assert first != second
    assert row_counts(session) == (2, 2, 1)
    assert [path.name for path in stored_files(settings.storage_dir)] == [sha256(content)]


def test_upload_over_the_limit_is_413_and_leaves_nothing(
    client: TestClient, session: Session, setup: Setup, settings: Settings
) -> None:
    just_over = b"%PDF-1.4\n" + b"0" * (2 * MB)
    assert_error(upload(client, setup.meeting.id, just_over), 413, "FileTooLargeError")
    assert_nothing_stored(session, settings)


def test_request_far_over_the_limit_is_refused_before_reading(
    client: TestClient, session: Session, setup: Setup, settings: Settings
) -> None:
    huge = b"%PDF-1.4\n" + b"0" * (4 * MB)
    assert_error(upload(client, setup.meeting.id, huge), 413, "PayloadTooLargeError")
    assert_nothing_stored(session, settings)


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"just some text, not a PDF at all\n", "renamed.pdf"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "setup.pdf"),
        (b"<html><script>alert(1)</script></html>", "page.pdf"),
        (b"PK\x03\x04not really a zip", "fake.docx"),
    ],
)
def test_type_not_allowed_is_415_and_leaves_nothing(
    client: TestClient,
    session: Session,
    setup: Setup,
    settings: Settings,
    content: bytes,
    filename: str,
) -> None:
    response = upload(client, setup.meeting.id, content, filename=filename)
    assert_error(response, 415, "FileTypeNotAllowedError", field="file")
    assert_nothing_stored(session, settings)


def test_empty_file_is_422(
    client: TestClient, session: Session, setup: Setup, settings: Settings
) -> None:
    assert_error(upload(client, setup.meeting.id, b""), 422, "InvalidDataError", field="file")
    assert_nothing_stored(session, settings)


def test_refused_new_version_changes_nothing(
    client: TestClient, session: Session, setup: Setup, settings: Settings
) -> None:
    document_id = uploaded_id(client, setup.meeting)
    files_before = stored_files(settings.storage_dir)
    assert_error(new_version(client, document_id, b"MZ\x90\x00" * 10), 415)
    assert_error(new_version(client, document_id, b"%PDF-" + b"0" * (2 * MB)), 413)
    assert client.get(f"/api/documents/{document_id}").json()["current_version"] == 1
    assert row_counts(session) == (1, 1, 1)
    assert stored_files(settings.storage_dir) == files_before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"agenda_item_id": "x"}, "agenda_item_id"),
    ],
)
def test_bad_form_fields_are_422_and_leave_nothing(
    client: TestClient,
    session: Session,
    setup: Setup,
    settings: Settings,
    fields: dict[str, str],
    field: str,
) -> None:
    response = client.post(
        f"/api/meetings/{setup.meeting.id}/documents",
        data=fields,
        files={"file": ("a.pdf", pdf_bytes(), "application/pdf")},
    )
    assert_error(response, 422, field=field)
    assert_nothing_stored(session, settings)


def test_agenda_item_of_another_meeting_is_404_and_leaves_nothing(
    client: TestClient, session: Session, setup: Setup, settings: Settings
) -> None:
    elsewhere = make_meeting(session, creator=setup.clerk)
    foreign = client.get(f"/api/meetings/{elsewhere.id}/agenda").json()[0]["id"]
    response = client.post(
        f"/api/meetings/{setup.meeting.id}/documents",
        data={"title": "T", "agenda_item_id": str(foreign)},
        files={"file": ("a.pdf", pdf_bytes(), "application/pdf")},
    )
    assert_error(response, 404, "AgendaItemNotFoundError")
    assert_nothing_stored(session, settings)


def assert_stored_safely(settings: Settings, response: Response) -> None:
    """Only the content-addressed file exists, and the shown name is a bare name."""
    assert response.status_code == 201, response.text
    version = response.json()["version"]
    assert "/" not in version["filename"]
    assert "\\" not in version["filename"]
    assert "\x00" not in version["filename"]
    assert version["filename"] not in ("", ".", "..")
    digest = version["sha256"]
    everything = sorted(path for path in settings.data_dir.parent.rglob("*") if path.is_file())
    stored = [path for path in everything if settings.storage_dir in path.parents]
    assert stored == [settings.storage_dir / digest[:2] / digest]
    assert not any("passwd" in path.name or "evil" in path.name for path in everything)


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("/etc/passwd", "passwd"),
        ("..", "document"),
        ("Tờ trình số 5.pdf", "Tờ trình số 5.pdf"),
    ],
)
def test_filename_cannot_leave_the_storage_folder(
    client: TestClient, setup: Setup, settings: Settings, filename: str, shown: str
) -> None:
    response = upload(client, setup.meeting.id, filename=filename)
    assert_stored_safely(settings, response)
    assert response.json()["version"]["filename"] == shown


def raw_multipart(filename: bytes, content: bytes, boundary: str = "hopboundary42") -> bytes:
    return (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\nTờ trình\r\n'
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


def test_filename_with_a_nul_byte_is_stored_safely(
    client: TestClient, setup: Setup, settings: Settings
) -> None:
    body = raw_multipart(b"../../evil\x00.pdf", pdf_bytes())
    response = client.post(
        f"/api/meetings/{setup.meeting.id}/documents",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=hopboundary42"},
    )
    assert_stored_safely(settings, response)
    # the escaped form a browser sends is just as harmless
    escaped = upload(client, setup.meeting.id, pdf_bytes("khác"), filename="..%2F..%00evil.pdf")
    assert escaped.status_code == 201
    assert "/" not in escaped.json()["version"]["filename"]


def test_update_and_delete_document(client: TestClient, session: Session, setup: Setup) -> None:
    document_id = uploaded_id(client, setup.meeting)
    url = f"/api/documents/{document_id}"
    item_id = client.get(f"/api/meetings/{setup.meeting.id}/agenda").json()[0]["id"]
    response = client.patch(url, json={"title": "Tên mới", "agenda_item_id": item_id})
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["agenda_item_id"]) == ("Tên mới", item_id)
    assert_error(client.patch(url, json={"title": ""}), 422, field="title")
    assert_error(client.patch(url, json={"agenda_item_id": 9999}), 404, "AgendaItemNotFoundError")
    assert client.delete(url).status_code == 204
    assert_error(client.get(url), 404, "DocumentNotFoundError")
    assert row_counts(session)[:2] == (0, 0)


def test_unknown_ids_are_404(client: TestClient, setup: Setup) -> None:
    for url in ("", "/content", "/versions"):
        assert_error(client.get(f"/api/documents/9999{url}"), 404, "DocumentNotFoundError")
    assert_error(client.patch("/api/documents/9999", json={"title": "X"}), 404)
    assert_error(client.delete("/api/documents/9999"), 404)
    assert_error(client.post("/api/documents/9999/publish"), 404)
    assert_error(new_version(client, 9999, pdf_bytes()), 404)
    assert_error(client.get("/api/meetings/9999/documents"), 404, "MeetingNotFoundError")
    assert_error(upload(client, 9999), 404, "MeetingNotFoundError")
    assert_error(client.get("/api/documents/abc"), 422, "ValidationError")
