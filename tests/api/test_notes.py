"""The notes API and pages: take, list, change, delete, share, export; the same client_id sent
twice is one note, and every refusal is a clear 4xx that stores nothing."""

import io
from typing import Any

import pytest
from docx import Document as WordDocument
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session, func, select

from models import Meeting, Note, Person, Role
from tests.factories import assert_error, invite, login, make_user
from tests.meetings.search_support import pdf_pages

STREET = "Kế hoạch chỉnh trang hè phố năm 2027"
PLAN = "Điều 3. Lộ trình thực hiện"
HIGHLIGHT: dict[str, Any] = {
    "client_id": "2f1c7a9e-0b7d-4d1e-9f00-1a2b3c4d5e6f",
    "version": 1,
    "page": 1,
    "kind": "highlight",
    "quote": {"exact": "hè phố", "prefix": "chỉnh trang ", "suffix": " năm 2027"},
    "body": "Phạm vi gồm những tuyến phố nào?",
}


def upload_pdf(client: TestClient, meeting: Meeting, *pages: str, title: str = "Tờ trình") -> int:
    response = client.post(
        f"/api/meetings/{meeting.id}/documents",
        data={"title": title},
        files={"file": ("to-trinh.pdf", pdf_pages(*pages), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    document_id: int = response.json()["id"]
    assert client.post(f"/api/documents/{document_id}/publish").status_code == 200
    return document_id


@pytest.fixture
def delegate(session: Session, meeting: Meeting) -> Person:
    person = make_user(session, role=Role.delegate, full_name="Lê Thị Đại Biểu")
    invite(session, meeting, person)
    return person


@pytest.fixture
def document_id(clerk_client: TestClient, meeting: Meeting) -> int:
    return upload_pdf(clerk_client, meeting, STREET, PLAN)


def stored(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Note)).one()


def post_note(client: TestClient, document_id: int, **fields: Any) -> Any:
    return client.post(f"/api/documents/{document_id}/notes", json=HIGHLIGHT | fields)


def test_a_note_is_taken_once_and_listed(
    client: TestClient, session: Session, meeting: Meeting, delegate: Person, document_id: int
) -> None:
    login(client, delegate)
    created = post_note(client, document_id)
    assert created.status_code == 201, created.text
    note = created.json()
    assert note["client_id"] == HIGHLIGHT["client_id"]
    assert (note["document_id"], note["meeting_id"]) == (document_id, meeting.id)
    assert (note["made_on_version"], note["version"], note["page"]) == (1, 1, 1)
    assert note["quote"] == HIGHLIGHT["quote"]
    assert (note["x"], note["y"], note["shared"], note["anchor"]) == (None, None, False, "anchored")
    assert note["created_at"].endswith(("Z", "+00:00"))
    again = post_note(client, document_id, body="sent again")
    assert again.status_code == 200
    assert again.json() == note
    listed = client.get(f"/api/documents/{document_id}/notes")
    assert listed.status_code == 200
    assert listed.json() == {"items": [note]}
    assert stored(session) == 1


def test_a_pin_keeps_its_point(client: TestClient, delegate: Person, document_id: int) -> None:
    login(client, delegate)
    pin = post_note(client, document_id, kind="pin", page=2, quote={}, x=0.25, y=0.75)
    assert pin.status_code == 201, pin.text
    assert (pin.json()["x"], pin.json()["y"], pin.json()["quote"]["exact"]) == (0.25, 0.75, "")


def test_notes_are_carried_to_a_new_version(
    client: TestClient, session: Session, clerk: Person, delegate: Person, document_id: int
) -> None:
    login(client, delegate)
    post_note(client, document_id)
    post_note(client, document_id, client_id="plan", page=2, quote={"exact": PLAN})
    login(client, clerk)
    response = client.post(
        f"/api/documents/{document_id}/versions",
        files={"file": ("v2.pdf", pdf_pages("Trang bìa", STREET), "application/pdf")},
    )
    assert response.status_code == 201
    # Carried as soon as the new version's text is read (in the background, after the upload),
    # before anybody opens it.
    session.expire_all()
    assert set(session.exec(select(Note.version_number))) == {2}
    login(client, delegate)
    items = client.get(f"/api/documents/{document_id}/notes").json()["items"]
    placed = {item["client_id"]: (item["version"], item["page"], item["anchor"]) for item in items}
    assert placed == {
        HIGHLIGHT["client_id"]: (2, 2, "anchored"),
        "plan": (2, 2, "changed"),
    }
    assert next(i for i in items if i["client_id"] == "plan")["quote"]["exact"] == PLAN


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"client_id": ""}, "client_id"),
        ({"client_id": None}, "client_id"),
        ({"page": 0}, "page"),
        ({"page": 3}, "page"),
        ({"version": 2}, "version"),
        ({"version": 2**70}, "version"),
        ({"kind": "scribble"}, "kind"),
        ({"quote": {"exact": ""}}, "quote"),
        ({"kind": "pin", "quote": {}}, "x"),
        ({"kind": "pin", "x": 2, "y": 0.5}, "x"),
        ({"body": "x" * 10_001}, "body"),
        ({"body": "nul\x00"}, "body"),
    ],
)
def test_bad_notes_are_refused_with_a_clear_message(
    client: TestClient,
    session: Session,
    delegate: Person,
    document_id: int,
    fields: dict[str, Any],
    field: str,
) -> None:
    login(client, delegate)
    body = assert_error(post_note(client, document_id, **fields), 422, field=field)
    assert body["message"]
    assert stored(session) == 0


def test_a_note_on_an_unseen_document_is_not_found(
    client: TestClient, session: Session, document_id: int
) -> None:
    stranger = make_user(session, role=Role.delegate)
    client.cookies.clear()
    assert client.get(f"/api/documents/{document_id}/notes").status_code == 401
    login(client, stranger)
    assert_error(post_note(client, document_id), 404)
    assert_error(client.get(f"/api/documents/{document_id}/notes"), 404)
    assert_error(post_note(client, 999_999), 404)
    assert stored(session) == 0


def test_without_the_csrf_header_nothing_is_taken(
    client: TestClient, session: Session, delegate: Person, document_id: int
) -> None:
    login(client, delegate)
    del client.headers["x-csrf-token"]
    assert post_note(client, document_id).status_code == 403
    assert stored(session) == 0


def test_one_changes_and_deletes_only_ones_own_notes(
    client: TestClient, session: Session, meeting: Meeting, delegate: Person, document_id: int
) -> None:
    neighbour = make_user(session, role=Role.delegate)
    invite(session, meeting, neighbour)
    login(client, delegate)
    note_id = post_note(client, document_id).json()["id"]
    changed = client.patch(f"/api/notes/{note_id}", json={"body": "Đã hỏi", "shared": True})
    assert changed.status_code == 200
    assert (changed.json()["body"], changed.json()["shared"]) == ("Đã hỏi", True)
    assert_error(client.patch(f"/api/notes/{note_id}", json={"shared": "maybe"}), 422)
    login(client, neighbour)
    assert_error(client.patch(f"/api/notes/{note_id}", json={"body": "x"}), 404)
    assert_error(client.delete(f"/api/notes/{note_id}"), 404)
    assert client.get(f"/api/documents/{document_id}/notes").json() == {"items": []}
    login(client, delegate)
    assert client.delete(f"/api/notes/{note_id}").status_code == 204
    assert_error(client.delete(f"/api/notes/{note_id}"), 404)
    assert stored(session) == 0


def test_the_meetings_notes_and_the_shared_ones(
    client: TestClient,
    session: Session,
    meeting: Meeting,
    clerk: Person,
    delegate: Person,
    document_id: int,
) -> None:
    login(client, delegate)
    post_note(client, document_id)
    post_note(client, document_id, client_id="q", page=2, quote={"exact": PLAN}, shared=True)
    mine = client.get(f"/api/meetings/{meeting.id}/notes").json()["items"]
    assert [(n["page"], n["document_title"]) for n in mine] == [(1, "Tờ trình"), (2, "Tờ trình")]
    assert_error(client.get(f"/api/meetings/{meeting.id}/notes/shared"), 403)
    login(client, clerk)
    assert client.get(f"/api/meetings/{meeting.id}/notes").json() == {"items": []}
    shared = client.get(f"/api/meetings/{meeting.id}/notes/shared").json()["items"]
    assert [(n["client_id"], n["author_name"], n["quote"]["exact"]) for n in shared] == [
        ("q", "Lê Thị Đại Biểu", PLAN)
    ]
    login(client, make_user(session, role=Role.delegate))
    assert_error(client.get(f"/api/meetings/{meeting.id}/notes/shared"), 404)
    assert_error(client.get(f"/api/meetings/{meeting.id}/notes"), 404)


def test_the_notes_export_as_pdf_and_docx(
    client: TestClient, meeting: Meeting, delegate: Person, document_id: int
) -> None:
    login(client, delegate)
    post_note(client, document_id, shared=True)
    url = f"/api/meetings/{meeting.id}/notes/export"
    pdf = client.get(url, params={"format": "pdf"})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    for expected in ("hè phố", HIGHLIGHT["body"], "Trang 1", "Đã chia sẻ với thư ký"):
        assert expected in text, expected
    english = client.get(url, params={"format": "pdf", "lang": "en"}).content
    assert "Shared with the secretariat" in PdfReader(io.BytesIO(english)).pages[0].extract_text()
    docx = client.get(url, params={"format": "docx"})
    assert docx.status_code == 200
    lines = [p.text for p in WordDocument(io.BytesIO(docx.content)).paragraphs]
    assert "“hè phố”" in lines
    assert HIGHLIGHT["body"] in lines
    assert_error(client.get(url, params={"format": "xls"}), 422)


def test_the_notes_pages(
    client: TestClient, meeting: Meeting, clerk: Person, delegate: Person, document_id: int
) -> None:
    login(client, delegate)
    note_id = post_note(client, document_id, shared=True).json()["id"]
    room = client.get(f"/room/{meeting.id}")
    assert f'href="/room/{meeting.id}/notes"' in room.text
    page = client.get(f"/room/{meeting.id}/notes")
    assert page.status_code == 200
    assert "Ghi chú của tôi" in page.text
    assert f"/room/{meeting.id}/documents/{document_id}?note={note_id}#page=1" in page.text
    assert "“hè phố”" in page.text
    assert f"/api/meetings/{meeting.id}/notes/export?format=docx" in page.text
    assert client.get(f"/meetings/{meeting.id}/notes/shared").status_code == 403
    login(client, clerk)
    shared = client.get(f"/meetings/{meeting.id}/notes/shared?lang=en")
    assert shared.status_code == 200
    assert "Lê Thị Đại Biểu" in shared.text
    assert HIGHLIGHT["body"] in shared.text
    editor = client.get(f"/meetings/{meeting.id}/edit")
    assert f'href="/meetings/{meeting.id}/notes/shared"' in editor.text
    empty = client.get(f"/room/{meeting.id}/notes?lang=en")
    assert "You have no notes" in empty.text
