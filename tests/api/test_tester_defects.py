"""Defects an external tester found (issue 13), each pinned through the API and the pages:
a deeply nested archive, the minutes of the largest agenda with the longest titles, meeting
dates out of any sensible range, and NUL characters in text."""

import io
import zipfile
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from meetings import scheduling
from models import AgendaItemCreate, Meeting, Person
from models.meeting import AGENDA_ITEMS_MAX, AGENDA_TITLE_MAX, MEETING_TITLE_MAX, YEAR_MAX, YEAR_MIN
from tests.factories import assert_error, make_meeting, pdf_bytes


def _zip_with(meeting_json: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meeting.json", meeting_json)
    return buffer.getvalue()


def test_a_deeply_nested_archive_is_a_422_not_a_recursion_error(clerk_client: TestClient) -> None:
    for depth in (100_000, 65):
        data = _zip_with(b"[" * depth + b"]" * depth)
        files = {"file": ("archive.zip", data, "application/zip")}
        body = assert_error(clerk_client.post("/api/meetings/archive", files=files), 422)
        assert body["error"] == "ArchiveError"
        assert "levels deep" in body["detail"]


def test_the_largest_agenda_with_the_longest_titles_drafts_its_minutes(
    clerk_client: TestClient, session: Session, clerk: Person
) -> None:
    meeting = make_meeting(session, creator=clerk, title="K" * MEETING_TITLE_MAX)
    for _ in range(AGENDA_ITEMS_MAX - 1):  # make_meeting added the first
        data = AgendaItemCreate(title="Đ" * AGENDA_TITLE_MAX, presenter="P" * 200)
        scheduling.add_agenda_item(session=session, meeting=meeting, data=data)
    drafted = clerk_client.post(f"/api/meetings/{meeting.id}/minutes")
    assert drafted.status_code == 201, drafted.text[:500]
    sections = drafted.json()["body"]["sections"]
    assert sections[-3]["title"] == f"{AGENDA_ITEMS_MAX}. " + "Đ" * AGENDA_TITLE_MAX
    assert clerk_client.get(f"/meetings/{meeting.id}/minutes").status_code == 200
    edit = {"sections": [{"key": sections[-3]["key"], "text": "x", "title": sections[-3]["title"]}]}
    edited = clerk_client.patch(f"/api/meetings/{meeting.id}/minutes", json=edit)
    assert edited.status_code == 200, edited.text[:500]


def test_the_agenda_refuses_items_past_what_the_minutes_can_hold(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    for _ in range(AGENDA_ITEMS_MAX - 1):
        data = AgendaItemCreate(title="Mục")
        scheduling.add_agenda_item(session=session, meeting=meeting, data=data)
    refused = clerk_client.post(f"/api/meetings/{meeting.id}/agenda", json={"title": "Một nữa"})
    body = assert_error(refused, 409, "AgendaFullError")
    assert str(AGENDA_ITEMS_MAX) in body["detail"]


def _meeting(start: str, end: str, title: str = "Kỳ họp") -> dict[str, str]:
    return {"title": title, "start_at": start, "end_at": end}


def test_meeting_dates_out_of_range_are_refused_naming_the_field(
    clerk_client: TestClient, meeting: Meeting
) -> None:
    url = "/api/meetings"
    far = _meeting("9999-12-31T20:00:00Z", "9999-12-31T22:00:00Z")
    assert_error(clerk_client.post(url, json=far), 422, field="start_at")
    early = _meeting("1999-12-31T20:00:00Z", "2001-01-01T00:00:00Z")
    assert_error(clerk_client.post(url, json=early), 422, field="start_at")
    backwards = _meeting("2030-01-01T10:00:00Z", "2030-01-01T09:00:00Z")
    assert_error(clerk_client.post(url, json=backwards), 422, field="end_at")
    moved = {"start_at": "9999-12-31T20:00:00Z"}
    assert_error(clerk_client.patch(f"{url}/{meeting.id}", json=moved), 422, field="start_at")
    assert clerk_client.get("/meetings").status_code == 200


_EDGE_START = datetime(YEAR_MIN, 1, 1, tzinfo=UTC)
_EDGE_END = datetime(YEAR_MAX, 12, 31, 23, 59, tzinfo=UTC) - timedelta(minutes=1)


def test_every_date_the_api_accepts_renders_on_every_page_that_shows_the_meeting(
    clerk_client: TestClient,
) -> None:
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        start=st.datetimes(
            min_value=_EDGE_START.replace(tzinfo=None),
            max_value=_EDGE_END.replace(tzinfo=None),
            timezones=st.just(UTC),
        ),
        minutes=st.integers(min_value=1, max_value=60 * 24 * 3),
    )
    def render(start: datetime, minutes: int) -> None:
        end = min(start + timedelta(minutes=minutes), _EDGE_END + timedelta(minutes=1))
        created = clerk_client.post(
            "/api/meetings", json=_meeting(start.isoformat(), end.isoformat())
        )
        assert created.status_code == 201, created.text
        meeting_id = created.json()["id"]
        for page in ("/meetings", f"/meetings/{meeting_id}/edit", f"/room/{meeting_id}"):
            response = clerk_client.get(page)
            assert response.status_code == 200, (page, start, response.text[:300])

    render()


def test_nul_in_text_is_refused_naming_the_field(
    clerk_client: TestClient, meeting: Meeting
) -> None:
    base = f"/api/meetings/{meeting.id}"
    bad = _meeting("2030-01-01T10:00:00Z", "2030-01-01T12:00:00Z", title="Kỳ\x00họp")
    assert_error(clerk_client.post("/api/meetings", json=bad), 422, field="title")
    assert_error(clerk_client.patch(base, json={"location": "A\x00"}), 422, field="location")
    assert_error(clerk_client.post(f"{base}/agenda", json={"title": "\x00"}), 422, field="title")
    person = {"username": "nul1", "full_name": "Tên\x00", "role": "delegate"}
    assert_error(clerk_client.post("/api/people", json=person), 422, field="full_name")
    poll = {"title": "Biểu quyết", "kind": "single", "options": ["Có", "Kh\x00ông"]}
    assert_error(clerk_client.post(f"{base}/polls", json=poll), 422, field="options")


def test_nul_is_refused_in_documents_devices_and_attendance_too(
    clerk_client: TestClient, meeting: Meeting
) -> None:
    base = f"/api/meetings/{meeting.id}"
    files = {"file": ("a.pdf", pdf_bytes(), "application/pdf")}
    refused = clerk_client.post(f"{base}/documents", files=files, data={"title": "Tờ\x00 trình"})
    assert_error(refused, 422, field="title")
    uploaded = clerk_client.post(f"{base}/documents", files=files, data={"title": "Tờ trình"})
    assert uploaded.status_code == 201, uploaded.text
    document = f"/api/documents/{uploaded.json()['id']}"
    assert_error(clerk_client.patch(document, json={"title": "T\x00"}), 422, field="title")
    device = {"name": "Máy\x00 chiếu", "kind": "projector", "meeting_id": meeting.id}
    assert_error(clerk_client.post("/api/devices", json=device), 422, field="name")
