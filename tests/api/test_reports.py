"""Reports and the archive over HTTP: downloads with attachment names, who may fetch them,
and the archive upload that creates a new meeting (or a clear 4xx and nothing)."""

import io
import zipfile
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from checkin import attendance
from models import AttendanceMethod, Meeting, MeetingRole, Person, Role
from tests.factories import assert_error, invite, login, make_document, make_meeting, make_user

REPORTS = ("attendance.csv", "attendance.pdf", "polls.csv", "polls.pdf")


@dataclass
class Setup:
    clerk: Person
    chair: Person
    delegate: Person
    outsider: Person
    meeting: Meeting


@pytest.fixture
def setup(client: TestClient, session: Session) -> Setup:
    clerk = make_user(session, role=Role.secretariat)
    chair, delegate, outsider = (make_user(session) for _ in range(3))
    meeting = make_meeting(session, creator=clerk, title="Họp giao ban")
    invite(session, meeting, chair, role=MeetingRole.chair)
    invite(session, meeting, delegate)
    attendance.record_check_in(
        session=session,
        meeting=meeting,
        person_id=delegate.id or 0,
        method=AttendanceMethod.qr,
    )
    make_document(session, client, meeting, clerk, publish=True)
    return Setup(clerk, chair, delegate, outsider, meeting)


def meetings_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Meeting)).one()


def test_secretariat_downloads_each_report(client: TestClient, setup: Setup) -> None:
    login(client, setup.clerk)
    for name in REPORTS:
        check_download(client, setup.meeting, name)


def check_download(client: TestClient, meeting: Meeting, name: str) -> None:
    response = client.get(f"/api/meetings/{meeting.id}/reports/{name}")
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="meeting-{meeting.id}-{name}"'
    if name.endswith(".csv"):
        assert response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith(b"\xef\xbb\xbf")
    else:
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


def test_attendance_csv_shows_the_qr_arrival(client: TestClient, setup: Setup) -> None:
    login(client, setup.chair)  # the meeting's chair may fetch reports too
    url = f"/api/meetings/{setup.meeting.id}/reports/attendance.csv"
    text = client.get(url, params={"lang": "en"}).content.decode("utf-8-sig")
    line = next(line for line in text.splitlines() if setup.delegate.username in line)
    assert ",Present," in line
    assert ",QR code," in line
    # In Vietnamese (the default), headers and codes alike.
    text = client.get(url).content.decode("utf-8-sig")
    assert "Họ tên,Tên đăng nhập,Vai trò" in text
    line = next(line for line in text.splitlines() if setup.delegate.username in line)
    assert ",Có mặt," in line
    assert ",Mã QR," in line


def test_delegates_may_not_fetch_reports_or_the_archive(client: TestClient, setup: Setup) -> None:
    base = f"/api/meetings/{setup.meeting.id}"
    login(client, setup.delegate)
    for name in REPORTS:
        assert_error(client.get(f"{base}/reports/{name}"), 403)
    assert_error(client.get(f"{base}/archive.zip"), 403)
    login(client, setup.outsider)  # a meeting one is not invited to does not exist
    for name in REPORTS:
        assert_error(client.get(f"{base}/reports/{name}"), 404)
    assert_error(client.get(f"{base}/archive.zip"), 404)
    login(client, setup.chair)  # the archive holds every ballot: the secretariat's alone
    assert_error(client.get(f"{base}/archive.zip"), 403)
    client.cookies.clear()
    assert client.get(f"{base}/reports/polls.csv").status_code == 401


def test_archive_export_then_upload_makes_a_new_meeting(
    client: TestClient, session: Session, setup: Setup
) -> None:
    login(client, setup.clerk)
    exported = client.get(f"/api/meetings/{setup.meeting.id}/archive.zip")
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "application/zip"
    assert f"meeting-{setup.meeting.id}-archive.zip" in exported.headers["content-disposition"]
    assert "meeting.json" in zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    files = {"file": ("archive.zip", exported.content, "application/zip")}
    created = client.post("/api/meetings/archive", files=files)
    assert created.status_code == 201, created.text
    new_id = created.json()["id"]
    assert new_id != setup.meeting.id
    assert created.json()["title"] == "Họp giao ban"
    documents = client.get(f"/api/meetings/{new_id}/documents").json()
    assert len(documents) == 1
    assert client.get(f"/api/documents/{documents[0]['id']}/content").status_code == 200


def test_a_bad_upload_is_a_4xx_and_creates_nothing(
    client: TestClient, session: Session, setup: Setup
) -> None:
    before = meetings_count(session)
    login(client, setup.clerk)
    files = {"file": ("archive.zip", b"not a zip at all", "application/zip")}
    assert_error(client.post("/api/meetings/archive", files=files), 422, "ArchiveError")
    assert_error(client.post("/api/meetings/archive"), 422)
    login(client, setup.delegate)
    assert_error(client.post("/api/meetings/archive", files=files), 403)
    assert meetings_count(session) == before


def test_the_editor_links_the_reports(client: TestClient, setup: Setup) -> None:
    base = f"/api/meetings/{setup.meeting.id}"
    login(client, setup.clerk)
    page = client.get(f"/meetings/{setup.meeting.id}/edit").text
    for name in REPORTS:
        assert f'href="{base}/reports/{name}"' in page
    assert f'href="{base}/archive.zip"' in page
    login(client, setup.chair)  # the chair edits the meeting but may not take the archive
    page = client.get(f"/meetings/{setup.meeting.id}/edit").text
    assert f'href="{base}/reports/attendance.pdf"' in page
    assert "archive.zip" not in page
