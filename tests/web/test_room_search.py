"""The room's search page, in Vietnamese: hits with their page, linking to the reader."""

import html
import io
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from meetings import documents as docs
from models import Document, DocumentText, Meeting, Person, Role
from tests.factories import invite, login, make_meeting, make_user, uploads_of
from tests.meetings.search_support import index_current, pdf_pages
from web.doc_indexing import index_in_background

STREET = "Kế hoạch chỉnh trang hè phố"


def paper(session: Session, client: TestClient, meeting: Meeting, clerk: Person) -> int:
    uploads = uploads_of(client)
    document = docs.add_document(
        session=session,
        uploads=uploads,
        meeting=meeting,
        title="Tờ trình hè phố",
        source=io.BytesIO(pdf_pages("Trang bìa", STREET)),
        filename="to-trinh.pdf",
        uploader=clerk,
    )
    docs.publish_document(session=session, document=document)
    index_current(session, uploads, document)
    assert document.id is not None
    return document.id


def test_a_delegate_finds_the_page_in_vietnamese(
    client: TestClient, session: Session, meeting: Meeting, clerk: Person
) -> None:
    delegate = make_user(session, role=Role.delegate)
    invite(session, meeting, delegate)
    login(client, delegate)
    document_id = paper(session, client, meeting, clerk)
    response = client.get(f"/room/{meeting.id}/search", params={"q": "he pho"})
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert '<html lang="vi">' in page
    assert "Tìm trong tài liệu" in page
    # The hit opens the reader on its page, with the words found again by its own search.
    assert f'href="/room/{meeting.id}/documents/{document_id}?q=he+pho#page=2"' in page
    assert "Tờ trình hè phố · trang 2" in page
    assert STREET in page
    assert 'maxlength="200"' in page
    assert 'value="he pho"' in page


def test_no_hit_and_no_query_are_said(
    clerk_client: TestClient, session: Session, meeting: Meeting, clerk: Person
) -> None:
    paper(session, clerk_client, meeting, clerk)
    empty = html.unescape(clerk_client.get(f"/room/{meeting.id}/search").text)
    assert "Gõ từ cần tìm" in empty
    none = clerk_client.get(f"/room/{meeting.id}/search", params={"q": "ngân sách"})
    assert "Không trang nào" in html.unescape(none.text)


def test_english_and_nasty_queries(
    clerk_client: TestClient, session: Session, meeting: Meeting, clerk: Person
) -> None:
    paper(session, clerk_client, meeting, clerk)
    english = clerk_client.get(f"/room/{meeting.id}/search", params={"q": "HÈ", "lang": "en"})
    assert "Search the papers" in english.text
    assert "page 2" in english.text
    for query in ['"*():^-', "<script>", "x" * 10_000]:
        response = clerk_client.get(f"/room/{meeting.id}/search", params={"q": query})
        assert response.status_code == 200
        assert "<script>" not in response.text.split("<main", 1)[1]


def test_a_meeting_not_seen_is_not_found(
    client: TestClient, session: Session, meeting: Meeting
) -> None:
    login(client, make_user(session, role=Role.delegate))
    assert client.get(f"/room/{meeting.id}/search", params={"q": "x"}).status_code == 404


def form_post(client: TestClient, url: str, files: dict[str, Any]) -> int:
    fields = {"csrf_token": client.cookies.get("hop_csrf")}
    return client.post(url, data=fields, files=files, follow_redirects=False).status_code


def test_the_editor_forms_index_uploads_in_the_background(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    pdf = ("a.pdf", pdf_pages(STREET), "application/pdf")
    url = f"/meetings/{meeting.id}/documents"
    assert form_post(clerk_client, url, {"file": pdf, "title": (None, "Tờ trình")}) == 303
    document = session.exec(select(Document)).one()
    new = ("b.pdf", pdf_pages("Đề án"), "application/pdf")
    assert form_post(clerk_client, f"{url}/{document.id}/versions", {"file": new}) == 303
    assert len(session.exec(select(DocumentText)).all()) == 2


def test_indexing_in_the_background_never_raises(client: TestClient) -> None:
    state = client.app.state.hop  # type: ignore[attr-defined]
    index_in_background(state, 987_654)  # a version removed meanwhile: nothing to do


def test_the_secretariat_searches_every_meeting_and_a_delegate_only_theirs(
    client: TestClient, session: Session, meeting: Meeting, clerk: Person
) -> None:
    elsewhere = make_meeting(session, creator=clerk, title="Kỳ họp chuyên đề giao thông")
    other_id = paper(session, client, elsewhere, clerk)
    delegate = make_user(session, role=Role.delegate)
    invite(session, meeting, delegate)
    login(client, clerk)
    url = f"/room/{meeting.id}/search"
    assert "Trong mọi cuộc họp" in html.unescape(client.get(url).text)
    here = html.unescape(client.get(url, params={"q": "he pho"}).text)
    assert f"/documents/{other_id}" not in here
    everywhere = html.unescape(client.get(url, params={"q": "he pho", "everywhere": "true"}).text)
    assert f'href="/room/{elsewhere.id}/documents/{other_id}?q=he+pho#page=2"' in everywhere
    assert "Kỳ họp chuyên đề giao thông" in everywhere

    login(client, delegate)
    mine = html.unescape(client.get(url, params={"q": "he pho", "everywhere": "true"}).text)
    assert "Trong mọi cuộc họp" not in mine
    assert f"/documents/{other_id}" not in mine  # only the meeting they were invited to
