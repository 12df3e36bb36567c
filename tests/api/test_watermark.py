"""Downloads stamped with the reader's name where the meeting asks it: the setting through the
API and the editor, the stamped PDF never cached, the original untouched otherwise, and a PDF
that cannot be stamped refused (409) rather than sent unstamped."""

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session

from meetings import documents as docs
from models import Document, Meeting, Person, Role
from tests.factories import assert_error, invite, login, make_document, make_user, uploads_of
from tests.meetings.search_support import pdf_pages

UPLOADED = pdf_pages("Tờ trình hè phố", "Trang hai", "Trang ba")


@pytest.fixture
def delegate(session: Session, meeting: Meeting) -> Person:
    person = make_user(session, role=Role.delegate, full_name="Phạm Thị Đại Biểu")
    invite(session, meeting, person)
    return person


@pytest.fixture
def paper(session: Session, clerk_client: TestClient, meeting: Meeting, clerk: Person) -> Document:
    return make_document(session, clerk_client, meeting, clerk, content=UPLOADED, publish=True)


def url(document: Document, **params: Any) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/api/documents/{document.id}/content" + (f"?{query}" if query else "")


def stamp(client: TestClient, meeting: Meeting, on: bool) -> None:
    response = client.patch(f"/api/meetings/{meeting.id}", json={"watermark_downloads": on})
    assert response.json()["watermark_downloads"] is on
    assert response.status_code == 200, response.text


def test_the_setting_is_off_by_default_and_the_download_is_the_upload(
    clerk_client: TestClient, paper: Document, delegate: Person
) -> None:
    client = login(clerk_client, delegate)
    response = client.get(url(paper, download="true"))
    assert response.status_code == 200
    assert response.content == UPLOADED
    assert response.headers["etag"]
    assert "attachment" in response.headers["content-disposition"]


def test_with_the_setting_every_downloaded_page_carries_the_name(
    clerk_client: TestClient,
    clerk: Person,
    session: Session,
    meeting: Meeting,
    paper: Document,
    delegate: Person,
) -> None:
    stamp(clerk_client, meeting, True)
    session.refresh(meeting)
    assert meeting.watermark_downloads is True
    client = login(clerk_client, delegate)
    response = client.get(url(paper, download="true"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert "etag" not in response.headers
    assert "attachment" in response.headers["content-disposition"]
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) == 3
    assert all("Phạm Thị Đại Biểu" in page.extract_text() for page in pages)
    # Reading in the room (not a download) is the file as uploaded, cached by its ETag.
    inline = client.get(url(paper))
    assert "Phạm Thị Đại Biểu" not in PdfReader(io.BytesIO(inline.content)).pages[0].extract_text()
    again = client.get(
        url(paper, download="true"), headers={"if-none-match": inline.headers["etag"]}
    )
    assert again.status_code == 200  # a stamped copy is never "not modified"
    # Turned off again: the download is the upload.
    stamp(login(client, clerk), meeting, False)
    client = login(client, delegate)
    assert client.get(url(paper, download="true")).content == UPLOADED


def test_a_download_is_a_read(
    clerk_client: TestClient,
    session: Session,
    meeting: Meeting,
    paper: Document,
    delegate: Person,
) -> None:
    stamp(clerk_client, meeting, True)
    client = login(clerk_client, delegate)
    assert client.get(url(paper, download="true")).status_code == 200
    listed = docs.describe_for(session=session, document=paper, viewer=delegate)
    assert listed.unread is False


def test_a_pdf_that_cannot_be_stamped_is_refused_not_sent_unstamped(
    clerk_client: TestClient,
    session: Session,
    meeting: Meeting,
    paper: Document,
    delegate: Person,
) -> None:
    stamp(clerk_client, meeting, True)
    version = docs.get_version(session=session, document=paper)
    # The stored file damaged on disk after its upload was checked.
    uploads_of(clerk_client).store.path_for(version.blob_sha256).write_bytes(b"%PDF-1.7 broken")
    client = login(clerk_client, delegate)
    response = client.get(url(paper, download="true"))
    body = assert_error(response, 409, "WatermarkError")
    assert "stamped" in body["detail"]
    assert "không thể tải về" in body["message"]
    assert docs.describe_for(session=session, document=paper, viewer=delegate).unread is True


def test_the_setting_takes_only_a_yes_or_no(clerk_client: TestClient, meeting: Meeting) -> None:
    response = clerk_client.patch(f"/api/meetings/{meeting.id}", json={"watermark_downloads": "x"})
    assert_error(response, 422)


def test_the_editor_has_the_checkbox(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    page = clerk_client.get(f"/meetings/{meeting.id}/edit")
    assert 'name="watermark_downloads"' in page.text
    assert "Đóng dấu tên người đọc" in page.text
    form = {
        "csrf_token": clerk_client.cookies.get("hop_csrf"),
        "title": meeting.title,
        "start_at": "2030-01-02T08:00",
        "end_at": "2030-01-02T11:00",
    }
    saved = clerk_client.post(
        f"/meetings/{meeting.id}/edit",
        data={**form, "watermark_downloads": "on"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    session.refresh(meeting)
    assert meeting.watermark_downloads is True
    assert (
        "checked"
        in clerk_client.get(f"/meetings/{meeting.id}/edit")
        .text.split('name="watermark_downloads"')[1]
        .split(">")[0]
    )
    clerk_client.post(f"/meetings/{meeting.id}/edit", data=form, follow_redirects=False)
    session.refresh(meeting)
    assert meeting.watermark_downloads is False
    # The new-meeting form has no such box: a meeting starts without the stamp.
    assert 'name="watermark_downloads"' not in clerk_client.get("/meetings").text


def test_a_null_setting_leaves_it_as_it_is(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    stamp(clerk_client, meeting, True)
    for body in ({"watermark_downloads": None}, {"title": None}):
        response = clerk_client.patch(f"/api/meetings/{meeting.id}", json=body)
        assert response.status_code == 200, response.text
    session.refresh(meeting)
    assert meeting.watermark_downloads is True
    assert meeting.title
