"""The check-in pages: the desk, the kiosk and enrolment, in Vietnamese and English."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from checkin import attendance
from tests.factories import login, make_user
from tests.web.checkin_support import (
    PEOPLE,
    PROBES,
    face_client,
    face_session,
    invited,
    kiosk_token,
    staff_and_meeting,
)

# They read the photos of ../shared/faces: without them, one clear failure per test.
pytestmark = pytest.mark.usefixtures("faces")

__all__ = ["face_client", "face_session"]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    ("lang", "words"),
    [("vi", ["Bàn điểm danh", "Vắng mặt", "Điểm danh"]), ("en", ["Check-in desk", "Absent"])],
)
def test_the_desk_lists_invitees_live(
    face_client: TestClient, face_session: Session, lang: str, words: list[str]
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    invited(face_session, meeting, "Nguyễn Thị Lan", seat="C03")
    page = face_client.get(f"/meetings/{meeting.id}/checkin?lang={lang}")
    assert page.status_code == 200
    for word in words:
        assert word in page.text
    assert f'data-live-meeting="{meeting.id}"' in page.text
    assert "/static/live.js" in page.text
    assert 'data-progress="attendance"' in page.text
    assert f'data-live-fragment="/meetings/{meeting.id}/checkin/list"' in page.text
    assert 'data-live-on="attendance.changed"' in page.text
    assert "Nguyễn Thị Lan" in page.text
    assert "C03" in page.text


def test_the_desk_checks_in_and_out_by_hand(face_client: TestClient, face_session: Session) -> None:
    clerk, meeting = staff_and_meeting(face_client, face_session)
    lan = invited(face_session, meeting, "Nguyễn Thị Lan")
    invited(face_session, meeting, "Trần Văn Minh")
    face_client.headers.pop("x-csrf-token", None)
    page = face_client.get(f"/meetings/{meeting.id}/checkin?lang=en")
    token = csrf_of(page.text)
    url = f"/meetings/{meeting.id}/checkin"
    form = {"csrf_token": token, "person_id": str(lan.id), "action": "check_in", "reason": "Thẻ"}
    done = face_client.post(url, data=form, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].endswith(f"#person-{lan.id}")
    listed = face_client.get(f"/meetings/{meeting.id}/checkin/list?lang=en").text
    assert "Present" in listed
    assert "Check out" in listed
    searched = face_client.get(f"/meetings/{meeting.id}/checkin/list?q=minh").text
    assert "Trần Văn Minh" in searched
    assert "Nguyễn Thị Lan" not in searched
    form["action"] = "check_out"
    face_client.post(url, data=form, follow_redirects=False)
    entries = attendance.list_entries(session=face_session, meeting_id=meeting.id or 0)
    assert [(e.kind, e.operator_id, e.reason) for e in entries] == [
        ("check_in", clerk.id, "Thẻ"),
        ("check_out", clerk.id, "Thẻ"),
    ]
    refused = face_client.post(url, data={**form, "csrf_token": "wrong"}, follow_redirects=False)
    assert refused.status_code == 403


def test_the_qr_sheet_shows_every_invitation(
    face_client: TestClient, face_session: Session
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    invited(face_session, meeting, "Nguyễn Thị Lan")
    sheet = face_client.get(f"/meetings/{meeting.id}/checkin/qr")
    assert sheet.status_code == 200
    images = re.findall(r'src="(/api/meetings/\d+/invitations/\d+/qr\.png)"', sheet.text)
    assert len(images) == 1
    assert face_client.get(images[0]).headers["content-type"] == "image/png"


def test_delegates_do_not_get_the_desk(face_client: TestClient, face_session: Session) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    delegate = invited(face_session, meeting, "Đại biểu")
    login(face_client, delegate)
    assert face_client.get(f"/meetings/{meeting.id}/checkin").status_code == 403


@pytest.mark.parametrize(
    ("lang", "word"), [("vi", "Nhìn vào camera để điểm danh"), ("en", "Look at the camera")]
)
def test_the_kiosk_page_opens_with_its_token(
    face_client: TestClient, face_session: Session, lang: str, word: str
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    token = kiosk_token(face_client, meeting.id)
    face_client.cookies.clear()
    page = face_client.get(f"/kiosk/{meeting.id}?token={token}&lang={lang}")
    assert page.status_code == 200
    assert word in page.text
    assert f'data-kiosk-token="{token}"' in page.text
    assert "/static/kiosk.js" in page.text
    assert face_client.get(f"/kiosk/{meeting.id}?token=nonsense").status_code == 403


def test_the_enrolment_page_records_consent_then_a_photo(
    face_client: TestClient, face_session: Session
) -> None:
    staff_and_meeting(face_client, face_session)
    person = make_user(face_session, full_name="Barack Obama")
    url = f"/people/{person.id}/faces"
    page = face_client.get(url)
    assert page.status_code == 200
    assert 'capture="user"' in page.text
    assert "Chưa ghi nhận sự đồng ý." in page.text
    token = csrf_of(page.text)
    consent = face_client.post(f"{url}/consent", data={"csrf_token": token, "note": "Giấy"})
    assert "Đã đồng ý" in consent.text

    two = (PROBES / "two_people.jpg").read_bytes()
    refused = face_client.post(
        url, data={"csrf_token": token}, files={"photo": ("two.jpg", two, "image/jpeg")}
    )
    assert refused.status_code == 422
    assert "Ảnh có nhiều khuôn mặt" in refused.text
    good = (PEOPLE / "obama" / "obama.jpg").read_bytes()
    enrolled = face_client.post(
        f"{url}?lang=en", data={"csrf_token": token}, files={"photo": ("o.jpg", good, "image/jpeg")}
    )
    assert enrolled.status_code == 200, enrolled.text
    assert "The face was enrolled." in enrolled.text
    assert "1 enrolled faces" in enrolled.text
    purged = face_client.post(f"{url}/purge?lang=en", data={"csrf_token": token})
    assert "No face is enrolled." in purged.text


def test_the_editor_and_people_pages_link_to_check_in(
    face_client: TestClient, face_session: Session
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    editor = face_client.get(f"/meetings/{meeting.id}/edit")
    assert f'href="/meetings/{meeting.id}/checkin"' in editor.text
    people = face_client.get("/people")
    assert re.search(r'href="/people/\d+/faces"', people.text)
