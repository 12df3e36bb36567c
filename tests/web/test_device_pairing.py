"""Pairing a screen by code (issue 14.2): /pair shows a short code, the secretariat enters it
on the devices page, and the screen gets its address with the new token once."""

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, func, select

from models import DevicePairing, DeviceToken, Meeting, MeetingStatus, Person
from models.base import utcnow
from tests.factories import login
from web.app import create_app
from web.settings import Settings

CODE = re.compile(r'<p class="pair-code"[^>]*><strong>([A-Z0-9]{3}) ([A-Z0-9]{3})</strong>')


@pytest.fixture
def staff(client: TestClient, clerk: Person) -> TestClient:
    login(client, clerk)
    client.headers.pop("x-csrf-token", None)
    return client


def show_code(client: TestClient) -> str:
    """Open /pair as the screen does; the code it shows."""
    page = client.get("/pair?lang=vi")
    assert page.status_code == 200
    assert "Ghép nối màn hình này" in page.text
    assert '<script src="/static/pair.js" defer></script>' in page.text
    found = CODE.search(page.text)
    assert found is not None
    return found.group(1) + found.group(2)


def enter(client: TestClient, code: str, meeting_id: int | None, kind: str = "kiosk") -> Response:
    fields: dict[str, Any] = {
        "csrf_token": client.cookies.get("hop_csrf"),
        "kind": kind,
        "name": "Cửa B",
        "meeting_id": "" if meeting_id is None else meeting_id,
        "code": code,
    }
    return client.post("/devices?lang=vi", data=fields, follow_redirects=False)


def devices(session: Session) -> int:
    return session.exec(select(func.count()).select_from(DeviceToken)).one()


def test_a_screen_is_paired_by_its_code_and_opens_its_page_once(
    staff: TestClient, session: Session, meeting: Meeting
) -> None:
    code = show_code(staff)
    assert staff.get("/pair/status").json() == {"status": "waiting"}
    typed = f" {code[:3].lower()}-{code[3:]} "  # as people type it
    answer = enter(staff, typed, meeting.id)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/devices?msg=device_paired"
    status = staff.get("/pair/status").json()
    assert status["status"] == "paired"
    assert re.fullmatch(rf"/kiosk/{meeting.id}\?token=hopd_[\w-]+", status["url"])
    assert staff.get(status["url"]).status_code == 200  # the token opens the kiosk
    assert staff.get("/pair/status").status_code == 410  # given once only
    assert session.exec(select(func.count()).select_from(DevicePairing)).one() == 0
    assert "Cửa B" in staff.get("/devices").text


def test_a_hall_projector_opens_the_soonest_open_meeting(
    staff: TestClient, session: Session, meeting: Meeting
) -> None:
    code = show_code(staff)
    assert enter(staff, code, None, kind="projector").status_code == 303
    assert staff.get("/pair/status").json()["url"].startswith(f"/projector/{meeting.id}?token=")


def test_a_hall_device_with_no_open_meeting_is_refused(staff: TestClient, session: Session) -> None:
    code = show_code(staff)
    answer = enter(staff, code, None)
    assert answer.status_code == 422
    assert "Chưa có cuộc họp nào để màn hình này mở" in answer.text
    assert devices(session) == 0


@pytest.mark.parametrize("mistake", ["wrong", "expired", "used"])
def test_a_wrong_expired_or_used_code_is_refused_and_changes_nothing(
    staff: TestClient, session: Session, meeting: Meeting, mistake: str
) -> None:
    code = show_code(staff)
    if mistake == "wrong":
        code = "AAAAAA" if code != "AAAAAA" else "BBBBBB"
    elif mistake == "expired":
        pairing = session.get(DevicePairing, code)
        assert pairing is not None
        pairing.expires_at = utcnow() - timedelta(seconds=1)
        session.add(pairing)
        session.commit()
    else:
        assert enter(staff, code, meeting.id).status_code == 303
    before = devices(session)
    answer = enter(staff, code, meeting.id)
    assert answer.status_code == 422
    assert "Không có màn hình nào đang chờ với mã này" in answer.text
    assert devices(session) == before
    if mistake == "expired":
        assert staff.get("/pair/status").status_code == 410  # the screen shows a new code


def test_the_status_without_the_screen_cookie_tells_nothing(client: TestClient) -> None:
    assert client.get("/pair/status").status_code == 410


def test_a_closed_meeting_is_not_offered(
    staff: TestClient, session: Session, meeting: Meeting
) -> None:
    meeting.status = MeetingStatus.closed
    session.add(meeting)
    session.commit()
    assert f'<option value="{meeting.id}"' not in staff.get("/devices").text


def test_too_many_codes_from_one_address_are_refused_without_storing_them(
    settings: Settings, session: Session
) -> None:
    """Each /pair load stores a waiting code: an address over its rate gets a page in the site
    language (429, Retry-After) and no new row."""
    limited = settings.model_copy(update={"pair_rate": "2/600"})
    with TestClient(create_app(limited)) as client:
        show_code(client)
        show_code(client)
        refused = client.get("/pair?lang=vi")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 600
    assert "Địa chỉ này đã xin quá nhiều mã ghép nối" in refused.text
    assert CODE.search(refused.text) is None
    assert session.exec(select(func.count()).select_from(DevicePairing)).one() == 2
