from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Role
from tests.factories import invite, login, make_meeting, make_person, pdf_bytes


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_secretariat_publishes_and_delegate_reads(client: TestClient, session: Session) -> None:
    clerk = make_person(session, role=Role.secretariat)
    delegate = make_person(session)
    meeting = make_meeting(session, creator=clerk)
    invite(session, meeting, delegate)
    login(client, clerk)
    upload = client.post(
        f"/api/meetings/{meeting.id}/documents",
        data={"title": "Tờ trình"},
        files={"file": ("to-trinh.pdf", pdf_bytes(), "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    doc_id = upload.json()["id"]
    assert client.post(f"/api/documents/{doc_id}/publish").status_code == 200
    login(client, delegate)
    listed = client.get(f"/api/meetings/{meeting.id}/documents").json()
    assert [d["id"] for d in listed] == [doc_id]
    assert listed[0]["unread"] is True
    content = client.get(f"/api/documents/{doc_id}/content")
    assert content.status_code == 200
    assert content.content.startswith(b"%PDF")
    assert client.get(f"/api/meetings/{meeting.id}/documents").json()[0]["unread"] is False
