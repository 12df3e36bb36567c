"""The devices page (issue 14.2): the secretariat lists, creates (the screen's link and QR
code shown once) and revokes kiosks and projectors; nobody else may; bad input changes nothing."""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, func, select

from models import DeviceToken, Meeting, MeetingStatus, Person, Role
from models.base import as_utc, utcnow
from tests.factories import ORIGIN, login, make_meeting, make_person
from web.pages.render import format_datetime
from web.realtime.ws import CLOSE_REVOKED

LINK = re.compile(r'href="(http://testserver/(?:kiosk|projector)/\d+\?token=(hopd_[\w-]+))"')


@pytest.fixture
def staff(client: TestClient, clerk: Person) -> TestClient:
    """The clerk, logged in like a browser: forms carry the CSRF token as a field."""
    login(client, clerk)
    client.headers.pop("x-csrf-token", None)
    return client


def post_form(client: TestClient, url: str, data: dict[str, Any] | None = None) -> Response:
    fields = {"csrf_token": client.cookies.get("hop_csrf"), **(data or {})}
    return client.post(url, data=fields, follow_redirects=False)


def create(client: TestClient, kind: str, meeting_id: int | None, name: str = "Cửa A") -> Response:
    data = {"kind": kind, "name": name, "meeting_id": "" if meeting_id is None else meeting_id}
    return post_form(client, "/devices?lang=vi", data)


def count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(DeviceToken)).one()


def device_named(session: Session, name: str) -> DeviceToken:
    session.expire_all()
    return session.exec(select(DeviceToken).where(DeviceToken.name == name)).one()


def test_the_page_lists_the_devices_in_vietnamese(
    staff: TestClient, session: Session, meeting: Meeting
) -> None:
    create(staff, "kiosk", meeting.id, "Cửa hội trường A")
    create(staff, "projector", None, "Máy chiếu lớn")
    page = staff.get("/devices?lang=vi")
    assert page.status_code == 200
    text = page.text
    assert "Thiết bị" in text
    assert "Cửa hội trường A" in text
    assert "Máy điểm danh" in text
    assert "Máy chiếu hội trường" in text
    assert meeting.title in text
    assert "Mọi cuộc họp (thiết bị của hội trường)" in text
    assert "Chưa từng" in text  # never seen yet
    assert 'href="/devices" aria-current="page"' in text  # in the menu


@pytest.mark.parametrize(("kind", "page"), [("kiosk", "kiosk"), ("projector", "projector")])
def test_creating_shows_the_link_and_qr_code_once(
    staff: TestClient, session: Session, clerk: Person, meeting: Meeting, kind: str, page: str
) -> None:
    response = create(staff, kind, meeting.id)
    assert response.status_code == 200
    found = LINK.findall(response.text)
    assert len(found) == 1
    url, token = found[0]
    assert url.startswith(f"http://testserver/{page}/{meeting.id}?token=")
    assert 'src="data:image/svg+xml' in response.text
    assert "chỉ hiện một lần" in response.text
    device = device_named(session, "Cửa A")
    assert (device.kind, device.meeting_id, device.revoked_at) == (kind, meeting.id, None)
    # The link opens the device's screen, and the token is never shown again.
    staff.cookies.clear()
    assert staff.get(url.removeprefix("http://testserver")).status_code == 200
    login(staff, clerk)
    assert token not in staff.get("/devices").text


def test_a_hall_device_gets_a_link_for_each_open_meeting(
    staff: TestClient, session: Session, clerk: Person, meeting: Meeting
) -> None:
    later = make_meeting(session, creator=clerk, days_ahead=5, title="Kỳ họp thứ hai")
    closed = make_meeting(session, creator=clerk, days_ahead=1, title="Kỳ họp đã hủy")
    closed.status = MeetingStatus.cancelled
    session.add(closed)
    session.commit()
    response = create(staff, "projector", None)
    found = LINK.findall(response.text)
    token = found[0][1]
    assert [url for url, _token in found] == [
        f"http://testserver/projector/{meeting.id}?token={token}",
        f"http://testserver/projector/{later.id}?token={token}",
    ]
    assert device_named(session, "Cửa A").meeting_id is None


def test_revoking_closes_the_device_socket(
    staff: TestClient, session: Session, meeting: Meeting
) -> None:
    _url, token = LINK.findall(create(staff, "projector", meeting.id).text)[0]
    device = device_named(session, "Cửa A")
    saved = dict(staff.cookies)
    staff.cookies.clear()
    headers = {"authorization": f"Bearer {token}", **ORIGIN}
    with staff.websocket_connect(f"/ws/meetings/{meeting.id}", headers=headers) as ws:
        staff.cookies.update(saved)
        assert ws.receive_json()["type"] == "snapshot"
        response = post_form(staff, f"/devices/{device.id}/revoke")
        assert response.status_code == 303
        assert response.headers["location"] == "/devices?msg=device_revoked"
        code = wait_for_close(ws)
    assert code == CLOSE_REVOKED
    assert device_named(session, "Cửa A").revoked_at is not None
    page = staff.get("/devices?msg=device_revoked&lang=vi").text
    assert "Đã thu hồi thiết bị" in page
    assert "Đã thu hồi" in page


def wait_for_close(ws: Any, timeout: float = 5.0) -> int:
    """The close code, receiving (and skipping data) until it comes."""

    def until_close() -> int:
        while True:
            message = ws.receive()
            if message["type"] == "websocket.close":
                return int(message.get("code", 1000))

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(until_close).result(timeout=timeout)


def test_a_device_is_seen_when_it_opens_its_screen_at_most_once_a_minute(
    staff: TestClient, session: Session, meeting: Meeting
) -> None:
    url, _token = LINK.findall(create(staff, "kiosk", meeting.id).text)[0]
    path = url.removeprefix("http://testserver")
    assert staff.get(path).status_code == 200
    first = device_named(session, "Cửa A").last_seen_at
    assert first is not None
    assert utcnow() - as_utc(first) < timedelta(seconds=30)
    time.sleep(0.01)
    staff.get(path)
    assert device_named(session, "Cửa A").last_seen_at == first  # no write within the minute
    page = staff.get("/devices?lang=vi").text
    assert format_datetime(first) in page
    assert "Chưa từng" not in page


def test_nobody_but_the_secretariat_sees_or_makes_devices(
    client: TestClient, session: Session, meeting: Meeting
) -> None:
    anonymous = client.get("/devices", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401)
    delegate = make_person(session, role=Role.delegate)
    login(client, delegate)
    client.headers.pop("x-csrf-token", None)
    assert client.get("/devices").status_code == 403
    assert create(client, "kiosk", meeting.id).status_code == 403
    assert count(session) == 0
    assert 'href="/devices"' not in client.get("/my").text


def test_a_form_without_the_csrf_token_is_refused(staff: TestClient, session: Session) -> None:
    data = {"kind": "kiosk", "name": "Cửa A", "meeting_id": ""}
    assert staff.post("/devices", data=data, follow_redirects=False).status_code == 403
    assert count(session) == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "kiosk", "name": "  "}, "name", "Trường này là bắt buộc."),
        ({"kind": "kiosk", "name": "x" * 121}, "name", None),
        ({"kind": "kiosk", "name": "Cửa A", "meeting_id": "999999"}, "meeting_id", None),
        ({"kind": "kiosk", "name": "Cửa A", "meeting_id": "abc"}, "meeting_id", None),
        ({"kind": "toaster", "name": "Cửa A"}, "kind", None),
    ],
)
def test_bad_input_is_shown_on_the_page_and_changes_nothing(
    staff: TestClient,
    session: Session,
    data: dict[str, str],
    field: str,
    message: str | None,
) -> None:
    response = post_form(staff, "/devices?lang=vi", data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text or f'id="device-{field}-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    if message is not None:
        assert message in response.text
    assert count(session) == 0
    assert not LINK.findall(response.text)


def test_the_unknown_meeting_message_is_in_vietnamese(staff: TestClient, session: Session) -> None:
    response = create(staff, "kiosk", 999_999)
    assert "Hãy chọn một cuộc họp trong danh sách." in response.text
    assert "Unknown meeting" not in response.text


def test_revoking_an_unknown_device_is_a_404_page(staff: TestClient) -> None:
    assert post_form(staff, "/devices/999999/revoke").status_code == 404
