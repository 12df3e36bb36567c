"""The "what changed" page: a delegate who read version 1 sees, after version 2, the room say
"updated since you read it" with a link to the changes, the edited words marked by page with
links into the reader, a version picker, and clear 4xx answers to bad links (never a 500)."""

import io

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from meetings import documents as docs
from models import Document, Meeting, Person, Role
from tests.factories import invite, login, make_user, uploads_of
from tests.meetings.search_support import index_current, pdf_pages
from web.pages.render import TEMPLATES

INTRO = "Kế hoạch chỉnh trang hè phố năm 2025"
BUDGET = "Kinh phí dự kiến 12 tỷ đồng"


@pytest.fixture
def delegate(session: Session, meeting: Meeting) -> Person:
    person = make_user(session, role=Role.delegate, full_name="Lê Thị Đọc")
    invite(session, meeting, person)
    return person


def add_version(session: Session, client: TestClient, document: Document, *pages: str) -> None:
    uploads = uploads_of(client)
    uploader = session.get(Person, document.created_by)
    assert uploader is not None
    docs.add_version(
        session=session,
        uploads=uploads,
        document=document,
        source=io.BytesIO(pdf_pages(*pages)),
        filename="v.pdf",
        uploader=uploader,
    )
    index_current(session, uploads, document)


@pytest.fixture
def paper(session: Session, clerk_client: TestClient, meeting: Meeting, clerk: Person) -> Document:
    uploads = uploads_of(clerk_client)
    document = docs.add_document(
        session=session,
        uploads=uploads,
        meeting=meeting,
        title="Tờ trình hè phố",
        source=io.BytesIO(pdf_pages("Trang bìa", f"{INTRO}\n{BUDGET}")),
        filename="to-trinh.pdf",
        uploader=clerk,
    )
    docs.publish_document(session=session, document=document)
    index_current(session, uploads, document)
    return document


def changes_url(meeting: Meeting, document: Document, query: str = "") -> str:
    return f"/room/{meeting.id}/documents/{document.id}/changes{query}"


def test_a_reader_sees_what_changed_since_they_read_it(
    clerk_client: TestClient,
    session: Session,
    meeting: Meeting,
    paper: Document,
    delegate: Person,
) -> None:
    client = login(clerk_client, delegate)
    assert client.get(f"/room/{meeting.id}/documents/{paper.id}").status_code == 200  # read v1
    add_version(session, client, paper, "Trang bìa", f"{INTRO.replace('2025', '2026')}\n{BUDGET}")
    room = client.get(f"/room/{meeting.id}/fragments/documents").text
    assert "Cập nhật từ khi bạn đọc" in room
    assert f'href="{changes_url(meeting, paper)}"' in room
    page = client.get(changes_url(meeting, paper))
    assert page.status_code == 200
    assert "Từ phiên bản 1 đến phiên bản 2" in page.text
    assert '<del><span class="visually-hidden">Đã xóa: </span>2025</del>' in page.text
    assert '<ins><span class="visually-hidden">Đã thêm: </span>2026</ins>' in page.text
    assert f'href="/room/{meeting.id}/documents/{paper.id}#page=2"' in page.text
    assert '<option value="1" selected>' in page.text
    english = client.get(changes_url(meeting, paper, "?lang=en")).text
    assert "From version 1 to version 2" in english


def test_one_version_has_nothing_to_compare(
    clerk_client: TestClient, meeting: Meeting, paper: Document
) -> None:
    page = clerk_client.get(changes_url(meeting, paper))
    assert page.status_code == 200
    assert "chưa có gì để so sánh" in page.text


def test_a_version_not_read_yet_says_so(
    clerk_client: TestClient, session: Session, meeting: Meeting, paper: Document, clerk: Person
) -> None:
    docs.add_version(
        session=session,
        uploads=uploads_of(clerk_client),
        document=paper,
        source=io.BytesIO(pdf_pages(BUDGET)),
        filename="v2.pdf",
        uploader=clerk,
    )
    page = clerk_client.get(changes_url(meeting, paper))
    assert page.status_code == 200
    assert "Máy chủ vẫn đang đọc nội dung của phiên bản 2" in page.text
    assert f"/api/documents/{paper.id}/content?version=1" in page.text


@pytest.mark.parametrize(
    ("query", "status", "said"),
    [
        ("?from=abc", 422, "Phiên bản được ghi bằng số"),
        ("?from=1&to=x", 422, "Phiên bản được ghi bằng số"),
        ("?from=2&to=1", 422, "phải nhỏ hơn"),
        ("?from=2&to=2", 422, "phải nhỏ hơn"),
        ("?from=1&to=9", 404, ""),
        ("?from=99999999999999999999", 422, ""),
        ("?from=" + "9" * 30, 422, ""),
    ],
)
def test_bad_links_are_refused_clearly(
    clerk_client: TestClient,
    session: Session,
    meeting: Meeting,
    paper: Document,
    query: str,
    status: int,
    said: str,
) -> None:
    add_version(session, clerk_client, paper, BUDGET)
    response = clerk_client.get(changes_url(meeting, paper, query))
    assert response.status_code == status, response.text
    assert said in response.text


def test_a_document_of_another_meeting_or_unseen_is_not_found(
    clerk_client: TestClient, session: Session, meeting: Meeting, paper: Document
) -> None:
    assert clerk_client.get(f"/room/{meeting.id}/documents/999/changes").status_code == 404
    stranger = make_user(session, role=Role.delegate)
    client = login(clerk_client, stranger)
    assert client.get(changes_url(meeting, paper)).status_code == 404


def test_the_readers_notice() -> None:
    template = TEMPLATES.env.get_template("fragments/reader_changed.html")
    values = {"_": lambda text: text, "meeting": {"id": 3}, "document": {"id": 7}}
    assert template.render(**values, read_before=None).strip() == ""
    assert template.render(**values).strip() == ""
    shown = template.render(**values, read_before=2)
    assert "Updated since you read it (version 2)" in shown
    assert 'href="/room/3/documents/7/changes?from=2"' in shown
