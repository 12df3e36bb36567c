"""GET /api/meetings/{id}/search and, for the secretariat, GET /api/search: uploads are indexed
in the background, and no query is a server error."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import DocumentText, Meeting, Person, Role
from tests.factories import invite, login, make_user
from tests.meetings.search_support import pdf_pages

STREET = "Kế hoạch chỉnh trang hè phố"


def upload_pdf(client: TestClient, meeting: Meeting, *pages: str, publish: bool = True) -> int:
    response = client.post(
        f"/api/meetings/{meeting.id}/documents",
        data={"title": "Tờ trình hè phố"},
        files={"file": ("to-trinh.pdf", pdf_pages(*pages), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    document_id: int = response.json()["id"]
    if publish:
        assert client.post(f"/api/documents/{document_id}/publish").status_code == 200
    return document_id


def test_an_upload_is_indexed_and_found_without_accents(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    document_id = upload_pdf(clerk_client, meeting, "Trang bìa", STREET)
    response = clerk_client.get(f"/api/meetings/{meeting.id}/search", params={"q": "he pho"})
    assert response.status_code == 200
    assert response.json() == [
        {
            "document_id": document_id,
            "title": "Tờ trình hè phố",
            "meeting_id": meeting.id,
            "version": 1,
            "page": 2,
            "snippet": STREET,
        }
    ]


def test_a_new_version_is_indexed_and_the_old_one_is_not_found(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    document_id = upload_pdf(clerk_client, meeting, STREET)
    response = clerk_client.post(
        f"/api/documents/{document_id}/versions",
        files={"file": ("v2.pdf", pdf_pages("Đề án giao thông"), "application/pdf")},
    )
    assert response.status_code == 201
    assert len(session.exec(select(DocumentText)).all()) == 2
    url = f"/api/meetings/{meeting.id}/search"
    assert clerk_client.get(url, params={"q": "he pho"}).json() == []
    hits = clerk_client.get(url, params={"q": "de an"}).json()
    assert [(hit["version"], hit["page"]) for hit in hits] == [(2, 1)]


def test_a_delegate_finds_published_papers_only(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    upload_pdf(clerk_client, meeting, STREET)
    upload_pdf(clerk_client, meeting, "hè phố trong bản nháp", publish=False)
    delegate = make_user(session, role=Role.delegate)
    invite(session, meeting, delegate)
    client = login(clerk_client, delegate)
    hits = client.get(f"/api/meetings/{meeting.id}/search", params={"q": "pho"}).json()
    assert [hit["snippet"] for hit in hits] == [STREET]


def test_a_meeting_not_seen_is_not_found(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    upload_pdf(clerk_client, meeting, STREET)
    client = login(clerk_client, make_user(session, role=Role.delegate))
    response = client.get(f"/api/meetings/{meeting.id}/search", params={"q": "he pho"})
    assert response.status_code == 404


def test_only_the_secretariat_searches_every_meeting(
    clerk_client: TestClient, session: Session, meeting: Meeting, clerk: Person
) -> None:
    document_id = upload_pdf(clerk_client, meeting, STREET)
    hits = clerk_client.get("/api/search", params={"q": "HÈ PHỐ"}).json()
    assert [hit["document_id"] for hit in hits] == [document_id]
    delegate = make_user(session, role=Role.delegate)
    invite(session, meeting, delegate)
    client = login(clerk_client, delegate)
    assert client.get("/api/search", params={"q": "he pho"}).status_code == 403


def test_no_query_is_a_server_error(clerk_client: TestClient, meeting: Meeting) -> None:
    upload_pdf(clerk_client, meeting, STREET)
    queries = [
        '"',
        "*",
        "(",
        ")",
        ":",
        "^",
        "-",
        '"*():^-',
        "he*(pho",
        "NEAR(he pho)",
        "x" * 10_000,
    ]
    for query in queries + ["", "   "]:
        for url in (f"/api/meetings/{meeting.id}/search", "/api/search"):
            response = clerk_client.get(url, params={"q": query})
            assert response.status_code == 200, (query, response.text)
    assert clerk_client.get("/api/search").json() == []
    too_long = clerk_client.get("/api/search", params={"q": "x" * 10_001})
    assert too_long.status_code == 422
