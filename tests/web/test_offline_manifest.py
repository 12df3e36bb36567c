"""Reading offline, the server's side: what a person's tablet keeps (/api/my/offline, from
meetings.offline), the service worker's script (/sw.js) and the wipe on logout."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, func, select

from meetings import offline, scheduling
from models import Meeting, MeetingStatus, Person, ReadReceipt, Role
from models.base import utcnow
from tests.factories import invite, login, make_document, make_meeting, make_user, start_meeting
from web.pages import offline as offline_pages
from web.pages.offline import static_assets
from web.settings import Settings

MANIFEST = "/api/my/offline"


def scheduled(
    session: Session, clerk: Person, *, days_ahead: int = 2, title: str = "Kỳ họp"
) -> Meeting:
    meeting = make_meeting(session, creator=clerk, days_ahead=days_ahead, title=title)
    scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.scheduled)
    return meeting


def kept(client: TestClient) -> dict[int, dict[str, Any]]:
    response = client.get(MANIFEST)
    assert response.status_code == 200, response.text
    return {meeting["id"]: meeting for meeting in response.json()["meetings"]}


@pytest.fixture
def delegate(session: Session) -> Person:
    return make_user(session, role=Role.delegate)


def test_the_manifest_lists_the_delegates_coming_meetings_and_their_published_documents(
    client: TestClient, session: Session, clerk: Person, delegate: Person
) -> None:
    soon = scheduled(session, clerk, title="Kỳ họp tuần này")
    invite(session, soon, delegate)
    paper = make_document(session, client, soon, clerk, title="Tờ trình", publish=True)
    make_document(session, client, soon, clerk, title="Dự thảo chưa phát hành")
    not_mine = scheduled(session, clerk, title="Họp của người khác")
    far = scheduled(session, clerk, days_ahead=20, title="Kỳ họp tháng sau")
    invite(session, far, delegate)
    draft = make_meeting(session, creator=clerk, title="Còn nháp")
    invite(session, draft, delegate)
    login(client, delegate)

    body = client.get(MANIFEST).json()
    assert body["person_id"] == delegate.id
    assert body["days"] == 7
    assert body["shell"] == ["/my"]
    assert [meeting["id"] for meeting in body["meetings"]] == [soon.id]
    assert not_mine.id not in kept(client)
    room = body["meetings"][0]
    assert room["title"] == "Kỳ họp tuần này"
    assert room["status"] == "scheduled"
    assert f"/room/{soon.id}" in room["urls"]
    assert f"/room/{soon.id}/fragments/documents" in room["urls"]
    [document] = room["documents"]
    assert document["id"] == paper.id
    assert document["version"] == 1
    assert document["urls"] == [
        f"/room/{soon.id}/documents/{paper.id}",
        f"/api/documents/{paper.id}/content?version=1",
        f"/api/documents/{paper.id}/notes",
    ]
    assert "/static/offline.js" in body["assets"]
    assert "/static/note_queue.js" in body["assets"]
    assert "/static/hop.css" in body["assets"]
    assert "/static/sw.js" not in body["assets"]
    assert body["assets_version"]


def test_a_meeting_in_progress_is_kept_and_a_closed_or_cancelled_one_dropped(
    client: TestClient, session: Session, clerk: Person, delegate: Person
) -> None:
    running = scheduled(session, clerk)
    start_meeting_from_scheduled(session, running)
    called_off = scheduled(session, clerk, title="Hoãn")
    for meeting in (running, called_off):
        invite(session, meeting, delegate)
    login(client, delegate)
    assert set(kept(client)) == {running.id, called_off.id}
    first = kept(client)[running.id]["stamp"]

    scheduling.change_status(session=session, meeting=called_off, status=MeetingStatus.cancelled)
    make_document(session, client, running, clerk, publish=True)
    assert set(kept(client)) == {running.id}
    assert kept(client)[running.id]["stamp"] != first  # the tablet fetches its pages again

    scheduling.change_status(session=session, meeting=running, status=MeetingStatus.closed)
    assert kept(client) == {}


def start_meeting_from_scheduled(session: Session, meeting: Meeting) -> None:
    scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.in_progress)


def test_the_chair_keeps_the_meetings_they_chair(
    client: TestClient, session: Session, clerk: Person
) -> None:
    chair = make_user(session, role=Role.delegate)
    meeting = make_meeting(session, creator=clerk, chair=chair)
    start_meeting(session, meeting)
    login(client, chair)
    assert set(kept(client)) == {meeting.id}


def test_the_rule_counts_days_from_now(session: Session, clerk: Person, delegate: Person) -> None:
    meeting = scheduled(session, clerk, days_ahead=3)
    invite(session, meeting, delegate)
    now = utcnow()

    def ids(days: int, at: Any = now) -> list[int | None]:
        found = offline.kept_offline(session=session, person=delegate, days=days, now=at)
        return [kept.meeting.id for kept in found]

    assert ids(7) == [meeting.id]
    assert ids(2) == []
    # Still scheduled after its end (never started nor closed): no longer worth carrying.
    assert ids(7, now + timedelta(days=4)) == []


def test_office_files_are_read_through_their_pdf_rendering() -> None:
    pdf = offline.OfflineDocument(id=1, title="a", version=2, media_type="application/pdf")
    word = offline.OfflineDocument(
        id=2,
        title="b",
        version=1,
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    assert not pdf.rendered
    assert word.rendered


def test_an_office_file_lists_its_rendition(
    client: TestClient, session: Session, clerk: Person, delegate: Person, monkeypatch: Any
) -> None:
    meeting = scheduled(session, clerk)
    invite(session, meeting, delegate)
    paper = make_document(session, client, meeting, clerk, publish=True)
    monkeypatch.setattr(offline, "AS_IS_TYPES", frozenset())  # as if the PDF were a Word file
    login(client, delegate)
    [document] = kept(client)[meeting.id]["documents"]
    assert f"/api/documents/{paper.id}/rendition?version=1" in document["urls"]


def test_logged_out_is_401(client: TestClient) -> None:
    response = client.get(MANIFEST)
    assert response.status_code == 401
    assert response.json()["error"] == "NotAuthenticatedError"


def test_the_setting_is_bounded() -> None:
    assert Settings(_env_file=None).offline_days == 7  # type: ignore[call-arg]
    for bad in (-1, 61):
        with pytest.raises(ValidationError):
            Settings(offline_days=bad, _env_file=None)  # type: ignore[call-arg]


def test_the_service_worker_may_control_the_whole_site(client: TestClient) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    assert "javascript" in response.headers["content-type"]
    assert "/api/my/offline" in response.text


def test_logout_wipes_the_site_data(client: TestClient, delegate: Person) -> None:
    login(client, delegate)
    csrf = client.cookies.get("hop_csrf")
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache", "storage"'


def test_the_pages_load_the_offline_scripts(
    client: TestClient, session: Session, clerk: Person, delegate: Person
) -> None:
    login_page = client.get("/login").text
    assert '<script src="/static/offline.js" defer data-offline="wipe"></script>' in login_page
    assert "note_queue.js" not in login_page
    meeting = scheduled(session, clerk)
    invite(session, meeting, delegate)
    login(client, delegate)
    room = client.get(f"/room/{meeting.id}").text
    assert f'<script src="/static/note_queue.js" defer data-person="{delegate.id}">' in room
    assert '<script src="/static/offline.js" defer></script>' in room
    assert 'id="offline-status"' in room
    assert 'data-text-ready="Sẵn sàng đọc ngoại tuyến"' in room
    assert 'id="offline-status"' not in client.get("/my").text


def test_the_assets_change_version_when_a_file_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    urls, version = static_assets()
    assert len(set(urls)) == len(urls)
    assert all(url.startswith("/static/") for url in urls)
    assert len(version) == 16
    monkeypatch.setattr(offline_pages, "OWN_ASSETS", ("hop.css",))
    fewer, other = static_assets()
    assert "/static/hop.css" in fewer
    assert "/static/offline.js" not in fewer
    assert other != version


def test_the_service_workers_fetches_are_told_apart() -> None:
    def request(headers: dict[str, str]) -> Request:
        raw = [(name.encode(), value.encode()) for name, value in headers.items()]
        return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})

    assert offline_pages.is_prefetch(request({"x-hop-prefetch": "1"}))
    assert not offline_pages.is_prefetch(request({}))
    assert not offline_pages.is_prefetch(request({"x-hop-prefetch": "yes please"}))


def test_keeping_the_reader_offline_is_not_reading_it(
    client: TestClient, session: Session, clerk: Person, delegate: Person
) -> None:
    meeting = scheduled(session, clerk)
    invite(session, meeting, delegate)
    paper = make_document(session, client, meeting, clerk, publish=True)
    login(client, delegate)
    reader = f"/room/{meeting.id}/documents/{paper.id}"

    def receipts() -> int:
        query = select(func.count()).select_from(ReadReceipt)
        return session.exec(query.where(ReadReceipt.person_id == delegate.id)).one()

    assert client.get(reader, headers={"x-hop-prefetch": "1"}).status_code == 200
    assert receipts() == 0  # the service worker kept the page: the room still says "new"
    assert client.get(reader).status_code == 200
    assert receipts() == 1
