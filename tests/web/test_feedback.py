"""Feedback where the eye is (issue 14, point 5): the message after a submit is a toast in the
page's language, a problem one stays; quorum lines make sense with no one invited."""

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Meeting, Person, PollCreate
from tests.factories import check_in, login, make_meeting, make_user, seat, start_meeting
from voting import polls

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"


def form_post(client: TestClient, url: str, data: dict[str, Any] | None = None) -> Any:
    client.headers.pop("x-csrf-token", None)
    fields = {"csrf_token": client.cookies.get("hop_csrf"), **(data or {})}
    return client.post(url, data=fields, follow_redirects=False)


def test_the_message_after_a_submit_is_a_toast(clerk_client: TestClient) -> None:
    page = clerk_client.get("/meetings?msg=meeting_created").text
    toasts = page[page.index('<div class="toasts"') :]
    assert 'role="status"' in toasts
    assert "Đã tạo cuộc họp." in toasts
    assert 'aria-label="Đóng thông báo"' in toasts
    assert '<script src="/static/toast.js" defer></script>' in page


def test_no_mail_server_says_so_as_a_problem_that_stays(
    clerk_client: TestClient, meeting: Meeting
) -> None:
    response = form_post(clerk_client, f"/meetings/{meeting.id}/invitations/send")
    assert response.status_code == 303
    assert response.headers["location"].endswith("?msg=mail_off#invitations")
    page = clerk_client.get(response.headers["location"]).text
    toasts = page[page.index('<div class="toasts"') :]
    assert 'class="toast toast-problem flash" role="alert" data-toast="problem"' in toasts
    assert "chưa được cài đặt thư điện tử" in toasts or "HOP_SMTP_HOST" in toasts


def test_toasts_float_and_sections_clear_the_sticky_tabs() -> None:
    css = (STATIC / "hop.css").read_text(encoding="utf-8")
    assert ".toasts {\n  position: fixed;" in css
    assert "scroll-margin-top" in css
    script = (STATIC / "toast.js").read_text(encoding="utf-8")
    assert 'dataset.toast !== "problem"' in script  # a problem is never faded away
    assert "scrollIntoView" in script  # a form shown again with errors is brought into view


def test_no_invitee_is_not_a_quorum(clerk_client: TestClient, meeting: Meeting) -> None:
    page = clerk_client.get(f"/meetings/{meeting.id}/edit").text
    box = page[page.index('data-field="quorum_state"') :]
    box = box[: box.index("</strong>")]
    assert box.endswith("chưa mời đại biểu nào có quyền biểu quyết")
    english = clerk_client.get(f"/meetings/{meeting.id}/edit?lang=en").text
    assert "no one with a voting right is invited yet</strong>" in english


def test_a_poll_in_a_meeting_without_members_says_it_cannot_open(
    client: TestClient, session: Session, clerk: Person
) -> None:
    meeting = make_meeting(session, creator=clerk)
    start_meeting(session, meeting)
    data = PollCreate(title="Thông qua nghị quyết")
    poll = polls.create_poll(session=session, meeting=meeting, data=data, creator=clerk)
    login(client, clerk)
    page = client.get(f"/meetings/{meeting.id}/polls").text
    assert "chưa mời đại biểu nào có quyền biểu quyết nên chưa thể bắt đầu biểu quyết" in page
    assert "cần 0" not in page
    assert "đã đủ" not in page
    refused = form_post(client, f"/meetings/{meeting.id}/polls/{poll.id}/open")
    assert refused.status_code == 409
    assert "chưa thể bắt đầu biểu quyết" in refused.text


def test_live_attendance_says_the_quorum_state(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    member = make_user(session)
    seat(session, meeting, member)
    before = clerk_client.get(f"/meetings/{meeting.id}/edit").text
    assert 'data-label-not_met="chưa đủ"' in before
    assert ">chưa đủ</strong>" in before
    check_in(session, meeting, member)
    after = clerk_client.get(f"/meetings/{meeting.id}/edit").text
    assert ">đã đủ</strong>" in after


def upload_page(client: TestClient, meeting: Meeting, name: str, content: bytes, kind: str) -> Any:
    client.headers.pop("x-csrf-token", None)
    return client.post(
        f"/meetings/{meeting.id}/documents",
        data={"csrf_token": client.cookies.get("hop_csrf"), "title": "Tờ trình"},
        files={"file": (name, content, kind)},
        follow_redirects=False,
    )


def test_too_large_and_wrong_type_uploads_say_so_beside_the_file(
    clerk_client: TestClient, meeting: Meeting
) -> None:
    big = b"%PDF-1.4\n" + b"0" * 3_000_000  # the tests' limit is 2 MB
    large = upload_page(clerk_client, meeting, "big.pdf", big, "application/pdf")
    assert large.status_code == 413
    assert "Tệp lớn hơn giới hạn 2 MB" in large.text
    assert 'id="upload-file-error"' in large.text
    wrong = upload_page(clerk_client, meeting, "run.exe", b"MZ\x90\x00", "application/x-msdownload")
    assert wrong.status_code == 415
    assert "Loại tệp này không được phép: hãy tải lên tệp PDF" in wrong.text
    assert "is not allowed" not in wrong.text
