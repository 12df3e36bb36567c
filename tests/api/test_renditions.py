"""GET /api/documents/{id}/rendition: an Office upload rendered as a PDF in the background
(and its words found by the search), sent inline with an ETag; a PDF sends its own content;
a picture or a server without LibreOffice answers 409 in the reader's language."""

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfReader
from sqlmodel import Session, select

from meetings import renditions
from models import DocumentRendition, Meeting, Person, RenditionStatus, Role
from tests.factories import assert_error, invite, login, make_user, pdf_bytes, upload
from tests.meetings.test_renditions import STREET, docx_bytes

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def soffice() -> str:
    program = renditions.converter()
    if program is None:
        pytest.fail(
            "LibreOffice is not installed: run scripts/system-deps.sh as root", pytrace=False
        )
    return program


def upload_docx(client: TestClient, meeting: Meeting) -> int:
    response = upload(
        client, meeting.id, docx_bytes("Tờ trình", STREET), filename="Dự thảo.docx", media_type=DOCX
    )
    assert response.status_code == 201, response.text
    document_id: int = response.json()["id"]
    assert client.post(f"/api/documents/{document_id}/publish").status_code == 200
    return document_id


@pytest.mark.usefixtures("soffice")
def test_an_office_upload_is_rendered_and_searchable(
    clerk_client: TestClient, clerk: Person, session: Session, meeting: Meeting
) -> None:
    document_id = upload_docx(clerk_client, meeting)
    made = session.exec(select(DocumentRendition)).one()  # by the upload's background task
    assert made.status == RenditionStatus.ready
    delegate = make_user(session, role=Role.delegate)
    invite(session, meeting, delegate)
    client = login(clerk_client, delegate)
    response = client.get(f"/api/documents/{document_id}/rendition")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["etag"] == f'"{made.blob_sha256}"'
    assert response.headers["content-disposition"].startswith('inline; filename="Du thao.pdf"')
    assert STREET in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    cached = client.get(
        f"/api/documents/{document_id}/rendition",
        headers={"if-none-match": response.headers["etag"]},
    )
    assert cached.status_code == 304
    part = client.get(f"/api/documents/{document_id}/rendition", headers={"range": "bytes=0-9"})
    assert (part.status_code, part.content) == (206, response.content[:10])
    hits = client.get(f"/api/meetings/{meeting.id}/search", params={"q": "he pho dong da"}).json()
    assert [(hit["document_id"], hit["page"]) for hit in hits] == [(document_id, 1)]


def test_a_pdf_is_its_own_rendering(clerk_client: TestClient, meeting: Meeting) -> None:
    response = upload(clerk_client, meeting.id, pdf_bytes("Tờ trình"))
    document_id = response.json()["id"]
    moved = clerk_client.get(
        f"/api/documents/{document_id}/rendition", params={"version": 1}, follow_redirects=False
    )
    assert moved.status_code == 307
    assert moved.headers["location"] == (
        f"/api/documents/{document_id}/content?version=1&download=false"
    )
    assert clerk_client.get(f"/api/documents/{document_id}/rendition").status_code == 200


def test_a_picture_has_none(clerk_client: TestClient, meeting: Meeting) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(picture, "PNG")
    response = upload(
        clerk_client, meeting.id, picture.getvalue(), filename="a.png", media_type="image/png"
    )
    assert response.status_code == 201, response.text
    refused = clerk_client.get(f"/api/documents/{response.json()['id']}/rendition")
    assert_error(refused, 409, "RenditionError")


def test_without_libreoffice_the_reader_is_told_to_download(
    clerk_client: TestClient, meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(renditions, "converter", lambda: None)
    document_id = upload_docx(clerk_client, meeting)
    response = clerk_client.get(f"/api/documents/{document_id}/rendition")
    body = assert_error(response, 409, "RenditionError")
    assert "LibreOffice" in body["detail"]
    assert "hãy tải tệp gốc về" in body["message"]
    original = clerk_client.get(f"/api/documents/{document_id}/content", params={"download": True})
    assert original.status_code == 200
    assert original.content[:2] == b"PK"


def test_unknown_documents_and_versions_are_not_found(
    clerk_client: TestClient, meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(renditions, "converter", lambda: None)
    document_id = upload_docx(clerk_client, meeting)
    assert_error(clerk_client.get("/api/documents/999/rendition"), 404)
    assert_error(clerk_client.get(f"/api/documents/{document_id}/rendition?version=9"), 404)
    assert_error(clerk_client.get(f"/api/documents/{document_id}/rendition?version=x"), 422)
