"""The server-rendered pages: who sees what, forms that change things, CSRF, both languages."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from meetings import documents as docs
from meetings import scheduling
from models import (
    AgendaItem,
    Document,
    DocumentStatus,
    Invitation,
    Meeting,
    MeetingRole,
    MeetingStatus,
    Person,
    Reply,
)
from models.base import as_utc
from tests.factories import invite, login, make_meeting, make_person, pdf_bytes


def page_login(client: TestClient, person: Person) -> TestClient:
    """Log in like a browser: form posts carry the token as a field, not as a header."""
    login(client, person)
    client.headers.pop("x-csrf-token", None)
    return client


def post_form(
    client: TestClient,
    url: str,
    data: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
) -> Response:
    """A form post with the CSRF field, as the pages send it; redirects are not followed."""
    fields = {"csrf_token": client.cookies.get("hop_csrf"), **(data or {})}
    return client.post(url, data=fields, files=files, follow_redirects=False)


@pytest.fixture
def delegate(session: Session) -> Person:
    return make_person(session, full_name="Lê Văn Đại Biểu")


@pytest.fixture
def regular_meeting(session: Session, clerk: Person, delegate: Person) -> Meeting:
    """Not the shared `meeting`: the delegate is invited, and the title is the one the
    delegate's pages must show."""
    meeting = make_meeting(session, creator=clerk, title="Kỳ họp thường lệ")
    invite(session, meeting, delegate)
    return meeting


def upload(client: TestClient, meeting: Meeting, title: str = "Tờ trình số 1") -> int:
    """Upload a PDF through the editor's form (no JavaScript) and return its id."""
    response = post_form(
        client,
        f"/meetings/{meeting.id}/documents",
        {"title": title, "agenda_item_id": ""},
        files={"file": ("to-trinh.pdf", pdf_bytes(title), "application/pdf")},
    )
    assert response.status_code == 303, response.text
    return int(client.get(f"/api/meetings/{meeting.id}/documents").json()[-1]["id"])


# Each page, for the right person, in both languages.


@pytest.mark.parametrize(
    ("path", "vietnamese", "english"),
    [
        ("/people", "Thêm người", "Add a person"),
        ("/meetings", "Cuộc họp mới", "New meeting"),
        ("/meetings/{id}/edit", "Thêm mục chương trình", "Add an agenda item"),
        ("/my", "Cuộc họp của tôi", "My meetings"),
        ("/room/{id}", "Phòng họp", "Meeting room"),
    ],
)
def test_staff_pages_render_in_vietnamese_and_english(
    client: TestClient,
    clerk: Person,
    regular_meeting: Meeting,
    path: str,
    vietnamese: str,
    english: str,
) -> None:
    page_login(client, clerk)
    url = path.format(id=regular_meeting.id)
    default = client.get(url)
    assert default.status_code == 200, default.text
    assert '<html lang="vi">' in default.text
    assert vietnamese in default.text
    assert english not in default.text
    switched = client.get(f"{url}?lang=en")
    assert switched.status_code == 200
    assert '<html lang="en">' in switched.text
    assert english in switched.text
    # The choice is remembered in a cookie.
    assert client.get(url).text.count(english) >= 1


def test_delegate_pages_render(
    client: TestClient, session: Session, clerk: Person, delegate: Person, regular_meeting: Meeting
) -> None:
    login(client, clerk)
    doc_id = upload(client, regular_meeting)
    client.post(f"/api/documents/{doc_id}/publish")
    page_login(client, delegate)
    my = client.get("/my")
    assert my.status_code == 200
    assert "Kỳ họp thường lệ" in my.text
    assert "Chưa trả lời" in my.text  # no reply yet
    room = client.get(f"/room/{regular_meeting.id}")
    assert room.status_code == 200
    assert f'<div id="live" data-meeting="{regular_meeting.id}"' in room.text
    assert "Khai mạc" in room.text
    assert "Tờ trình số 1" in room.text
    reader = client.get(f"/room/{regular_meeting.id}/documents/{doc_id}?lang=en")
    assert reader.status_code == 200
    assert f'data-source-url="/api/documents/{doc_id}/content?version=1"' in reader.text
    assert "download=true" in reader.text


def test_chair_may_edit_their_meeting(
    client: TestClient, session: Session, clerk: Person, delegate: Person
) -> None:
    chair = make_person(session, full_name="Phạm Chủ Trì")
    meeting = make_meeting(session, creator=clerk, chair=chair)
    page_login(client, chair)
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 200
    assert "Quản lý cuộc họp" in client.get("/my").text  # manage link
    assert client.get("/meetings").status_code == 403  # not secretariat


# Who may not see what.


def test_delegate_gets_404_for_a_meeting_they_are_not_invited_to(
    client: TestClient, session: Session, clerk: Person, delegate: Person
) -> None:
    other = make_meeting(session, creator=clerk, title="Họp kín")
    login(client, clerk)
    doc_id = upload(client, other)
    client.post(f"/api/documents/{doc_id}/publish")
    page_login(client, delegate)
    for url in (
        f"/room/{other.id}",
        f"/meetings/{other.id}/edit",
        f"/room/{other.id}/documents/{doc_id}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Không tìm thấy" in response.text
        assert "Họp kín" not in response.text
    assert post_form(client, f"/my/{other.id}/reply", {"reply": "accepted"}).status_code == 404


def test_delegate_may_not_manage_or_see_drafts(
    client: TestClient, clerk: Person, delegate: Person, regular_meeting: Meeting
) -> None:
    login(client, clerk)
    draft_id = upload(client, regular_meeting, "Dự thảo nội bộ")
    page_login(client, delegate)
    assert client.get(f"/meetings/{regular_meeting.id}/edit").status_code == 403
    assert client.get("/people").status_code == 403
    assert "Dự thảo nội bộ" not in client.get(f"/room/{regular_meeting.id}").text
    assert client.get(f"/room/{regular_meeting.id}/documents/{draft_id}").status_code == 404
    posted = post_form(client, f"/meetings/{regular_meeting.id}/agenda", {"title": "Chen ngang"})
    assert posted.status_code == 403


@pytest.mark.parametrize("path", ["/people", "/meetings", "/my", "/room/1", "/meetings/1/edit"])
def test_pages_redirect_to_login_when_logged_out(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


def test_form_post_without_csrf_is_403(client: TestClient, clerk: Person) -> None:
    page_login(client, clerk)
    data = {"full_name": "Không Có Mã", "username": "nocsrf"}
    assert client.post("/people", data=data, follow_redirects=False).status_code == 403
    wrong = {**data, "csrf_token": "forged"}
    assert client.post("/people", data=wrong, follow_redirects=False).status_code == 403
    assert "nocsrf" not in client.get("/people").text


# Forms that change things.


def test_create_person_through_the_form(client: TestClient, clerk: Person) -> None:
    page_login(client, clerk)
    data = {
        "full_name": "Hoàng Thị Mới",
        "username": "hoangmoi",
        "title": "Ủy viên",
        "role": "delegate",
        "email": "moi@example.vn",
        "password": "mat-khau-dai",
    }
    response = post_form(client, "/people", data)
    assert response.status_code == 303
    assert response.headers["location"] == "/people?msg=person_created"
    listed = client.get(response.headers["location"])
    assert "Đã thêm người." in listed.text
    assert "Hoàng Thị Mới" in listed.text
    searched = client.get("/people?q=hoangmoi")
    assert "Hoàng Thị Mới" in searched.text
    assert "Trần Thị Thư Ký" not in searched.text


def test_person_form_errors_are_shown_beside_the_fields(client: TestClient, clerk: Person) -> None:
    page_login(client, clerk)
    response = post_form(client, "/people", {"full_name": "", "username": "Bad Name!"})
    assert response.status_code == 422
    assert "Trường này là bắt buộc." in response.text
    assert 'value="Bad Name!"' in response.text
    taken = post_form(client, "/people", {"full_name": "Ai Đó", "username": clerk.username})
    assert taken.status_code == 422
    assert "Tên đăng nhập này đã được dùng." in taken.text


def test_people_pages(client: TestClient, session: Session, clerk: Person) -> None:
    for n in range(30):
        make_person(session, username=f"page{n:02d}", full_name=f"Người Số {n:02d}")
    page_login(client, clerk)
    first = client.get("/people?lang=en")
    assert "Page 1 of 2" in first.text
    second = client.get("/people?page=2&lang=vi")
    assert second.status_code == 200
    assert "Trang 2/2" in second.text


def test_import_people_from_csv(client: TestClient, clerk: Person) -> None:
    page_login(client, clerk)
    csv_text = (
        "full_name,username,title,unit,email,phone,role\n"
        "Vũ Thị Nhập,vunhap,Ủy viên,Văn phòng,vu@example.vn,0901234567,delegate\n"
        f"Trùng Tên,{clerk.username},,,,,\n"
        ",thieuten,,,,,\n"
    )
    response = post_form(
        client,
        "/people/import",
        files={"file": ("people.csv", csv_text.encode(), "text/csv")},
    )
    assert response.status_code == 200
    assert "Kết quả nhập" in response.text
    assert "vunhap" in response.text
    assert "<td>3</td>" in response.text  # the duplicate username, with its reason
    assert "<td>4</td>" in response.text  # the missing name
    assert "Vũ Thị Nhập" in response.text


def test_import_refuses_a_file_that_is_not_csv(client: TestClient, clerk: Person) -> None:
    page_login(client, clerk)
    response = post_form(
        client, "/people/import", files={"file": ("x.csv", b"\xff\xfe\x00binary", "text/csv")}
    )
    assert response.status_code == 422
    assert "Không đọc được tệp CSV" in response.text


def test_create_meeting_through_the_form(
    client: TestClient, session: Session, clerk: Person, delegate: Person
) -> None:
    page_login(client, clerk)
    data = {
        "title": "Họp giao ban tháng",
        "description": "Giao ban định kỳ",
        "start_at": "2031-03-02T08:00",
        "end_at": "2031-03-02T11:30",
        "location": "Phòng 201",
        "chair_id": str(delegate.id),
    }
    response = post_form(client, "/meetings", data)
    assert response.status_code == 303
    meeting = session.exec(select(Meeting).where(Meeting.title == "Họp giao ban tháng")).one()
    assert response.headers["location"] == f"/meetings/{meeting.id}/edit?msg=meeting_created"
    # Entered in Vietnam's time (UTC+7), stored in UTC.
    assert as_utc(meeting.start_at) == datetime(2031, 3, 2, 1, 0, tzinfo=UTC)
    assert meeting.chair_id == delegate.id
    editor = client.get(response.headers["location"])
    assert 'value="2031-03-02T08:00"' in editor.text
    assert "Họp giao ban tháng" in client.get("/meetings").text
    assert "Họp giao ban tháng" not in client.get("/meetings?tab=past").text


def test_meeting_form_errors(client: TestClient, clerk: Person) -> None:
    page_login(client, clerk)
    data = {"title": "", "start_at": "2031-03-02T08:00", "end_at": "2031-03-02T07:00"}
    response = post_form(client, "/meetings", data)
    assert response.status_code == 422
    assert "Thời điểm kết thúc phải sau thời điểm bắt đầu." in response.text
    missing = post_form(client, "/meetings", {"title": "Có tên", "start_at": "hôm nay"})
    assert missing.status_code == 422
    assert "Hãy nhập ngày và giờ." in missing.text


def test_edit_meeting_details_and_status(
    client: TestClient, session: Session, clerk: Person, regular_meeting: Meeting
) -> None:
    page_login(client, clerk)
    data = {
        "title": "Kỳ họp đã đổi tên",
        "start_at": "2031-05-01T14:00",
        "end_at": "2031-05-01T16:00",
        "location": "Hội trường B",
        "chair_id": "",
    }
    response = post_form(client, f"/meetings/{regular_meeting.id}/edit", data)
    assert response.status_code == 303
    assert response.headers["location"].endswith("msg=meeting_saved#details")
    session.refresh(regular_meeting)
    assert regular_meeting.title == "Kỳ họp đã đổi tên"
    assert regular_meeting.location == "Hội trường B"
    for status in ("scheduled", "in_progress", "closed"):
        moved = post_form(client, f"/meetings/{regular_meeting.id}/status", {"status": status})
        assert moved.status_code == 303, moved.text
    session.refresh(regular_meeting)
    assert regular_meeting.status == MeetingStatus.closed
    refused = post_form(client, f"/meetings/{regular_meeting.id}/status", {"status": "draft"})
    assert refused.status_code == 409


def test_agenda_through_the_forms(
    client: TestClient, session: Session, clerk: Person, regular_meeting: Meeting
) -> None:
    page_login(client, clerk)
    for title in ("Báo cáo tình hình", "Thảo luận"):
        data = {"title": title, "presenter": "Chánh văn phòng", "planned_minutes": "20"}
        response = post_form(client, f"/meetings/{regular_meeting.id}/agenda", data)
        assert response.status_code == 303
    assert _agenda_titles(session, regular_meeting) == [
        "Khai mạc",
        "Báo cáo tình hình",
        "Thảo luận",
    ]
    last = _agenda(session, regular_meeting)[-1]
    moved = post_form(
        client, f"/meetings/{regular_meeting.id}/agenda/{last.id}/move", {"direction": "up"}
    )
    assert moved.status_code == 303
    assert moved.headers["location"].endswith(f"#item-{last.id}")
    assert _agenda_titles(session, regular_meeting) == [
        "Khai mạc",
        "Thảo luận",
        "Báo cáo tình hình",
    ]
    first = _agenda(session, regular_meeting)[0]
    post_form(client, f"/meetings/{regular_meeting.id}/agenda/{first.id}/delete")
    assert _agenda_titles(session, regular_meeting) == ["Thảo luận", "Báo cáo tình hình"]
    empty = post_form(client, f"/meetings/{regular_meeting.id}/agenda", {"planned_minutes": "x"})
    assert empty.status_code == 422
    assert "Trường này là bắt buộc." in empty.text


def _agenda(session: Session, meeting: Meeting) -> list[AgendaItem]:
    session.expire_all()
    return scheduling.list_agenda(session=session, meeting=meeting)


def _agenda_titles(session: Session, meeting: Meeting) -> list[str]:
    return [item.title for item in _agenda(session, meeting)]


def test_invitations_through_the_forms(
    client: TestClient, session: Session, clerk: Person, regular_meeting: Meeting
) -> None:
    guest = make_person(session, full_name="Đỗ Quan Sát")
    page_login(client, clerk)
    data = {"person_id": str(guest.id), "role": "observer", "seat_label": "B7"}
    response = post_form(client, f"/meetings/{regular_meeting.id}/invitations", data)
    assert response.status_code == 303
    invitation = session.exec(select(Invitation).where(Invitation.person_id == guest.id)).one()
    assert invitation.role == MeetingRole.observer
    assert invitation.voting_right is False  # the box was not ticked
    assert invitation.seat_label == "B7"
    editor = client.get(f"/meetings/{regular_meeting.id}/edit")
    assert "Đỗ Quan Sát" in editor.text
    again = post_form(client, f"/meetings/{regular_meeting.id}/invitations", data)
    assert again.status_code == 422
    assert "Người này đã được mời." in again.text
    invitation_id = invitation.id
    removed = post_form(
        client, f"/meetings/{regular_meeting.id}/invitations/{invitation_id}/delete"
    )
    assert removed.status_code == 303
    session.expire_all()
    assert session.get(Invitation, invitation_id) is None


def test_documents_through_the_forms(
    client: TestClient, session: Session, clerk: Person, regular_meeting: Meeting
) -> None:
    page_login(client, clerk)
    doc_id = upload(client, regular_meeting)
    document = session.get(Document, doc_id)
    assert document is not None
    assert document.status == DocumentStatus.draft
    editor = client.get(f"/meetings/{regular_meeting.id}/edit")
    assert 'data-api="/api/meetings/' in editor.text
    assert '<script src="/static/upload.js" defer>' in editor.text
    published = post_form(client, f"/meetings/{regular_meeting.id}/documents/{doc_id}/publish")
    assert published.status_code == 303
    version = post_form(
        client,
        f"/meetings/{regular_meeting.id}/documents/{doc_id}/versions",
        files={"file": ("v2.pdf", pdf_bytes("v2"), "application/pdf")},
    )
    assert version.status_code == 303
    session.expire_all()
    document = session.get(Document, doc_id)
    assert document is not None
    assert document.status == DocumentStatus.published
    assert document.current_version == 2
    refused = post_form(
        client,
        f"/meetings/{regular_meeting.id}/documents",
        {"title": "Không phải PDF"},
        files={"file": ("x.pdf", b"just text", "application/pdf")},
    )
    assert refused.status_code == 415
    assert "Loại tệp này không được phép" in refused.text
    deleted = post_form(client, f"/meetings/{regular_meeting.id}/documents/{doc_id}/delete")
    assert deleted.status_code == 303
    session.expire_all()
    assert session.get(Document, doc_id) is None


def test_room_marks_a_new_document_until_it_is_opened(
    client: TestClient, session: Session, clerk: Person, delegate: Person, regular_meeting: Meeting
) -> None:
    page_login(client, clerk)
    doc_id = upload(client, regular_meeting)
    post_form(client, f"/meetings/{regular_meeting.id}/documents/{doc_id}/publish")
    page_login(client, delegate)
    assert _marks(client, regular_meeting) == ("is-new", 1)
    assert client.get(f"/room/{regular_meeting.id}/documents/{doc_id}").status_code == 200
    assert _marks(client, regular_meeting) == ("", 0)
    # A new version shows as updated until that version is read.
    document = session.get(Document, doc_id)
    assert document is not None
    stream = __import__("io").BytesIO(pdf_bytes("v2"))
    docs.add_version(
        session=session,
        uploads=client.app.state.hop.uploads,  # type: ignore[attr-defined]
        document=document,
        source=stream,
        filename="v2.pdf",
        uploader=clerk,
    )
    assert _marks(client, regular_meeting) == ("is-updated", 1)
    assert client.get(f"/api/documents/{doc_id}/content").status_code == 200
    assert _marks(client, regular_meeting) == ("", 0)


def _marks(client: TestClient, meeting: Meeting) -> tuple[str, int]:
    room = client.get(f"/room/{meeting.id}").text
    mark = "is-new" if "is-new" in room else "is-updated" if "is-updated" in room else ""
    my = client.get("/my?lang=en").text
    count = 1 if "New or updated documents: 1" in my else 0
    return mark, count


def test_reply_to_an_invitation(
    client: TestClient, session: Session, delegate: Person, regular_meeting: Meeting
) -> None:
    page_login(client, delegate)
    data = {"reply": "declined", "reason": "Đi công tác"}
    response = post_form(client, f"/my/{regular_meeting.id}/reply", data)
    assert response.status_code == 303
    assert response.headers["location"] == f"/my?msg=replied#meeting-{regular_meeting.id}"
    invitation = session.exec(select(Invitation).where(Invitation.person_id == delegate.id)).one()
    session.refresh(invitation)
    assert invitation.reply == Reply.declined
    assert invitation.reply_reason == "Đi công tác"
    page = client.get(response.headers["location"])
    assert "Đã ghi nhận trả lời của bạn." in page.text
    assert "Từ chối" in page.text
    assert (
        post_form(client, f"/my/{regular_meeting.id}/reply", {"reply": "invited"}).status_code
        == 422
    )


def test_my_meetings_upcoming_and_past(
    client: TestClient, session: Session, clerk: Person, delegate: Person
) -> None:
    past = make_meeting(session, creator=clerk, days_ahead=-10, title="Họp tháng trước")
    invite(session, past, delegate)
    soon = make_meeting(session, creator=clerk, days_ahead=2, title="Họp tuần sau")
    invite(session, soon, delegate)
    page_login(client, delegate)
    upcoming = client.get("/my").text
    assert "Họp tuần sau" in upcoming
    assert "Họp tháng trước" not in upcoming
    earlier = client.get("/my?tab=past").text
    assert "Họp tháng trước" in earlier
    assert "Họp tuần sau" not in earlier


def test_flash_shows_only_known_messages(client: TestClient, clerk: Person) -> None:
    page_login(client, clerk)
    assert "Đã tạo cuộc họp." in client.get("/meetings?msg=meeting_created").text
    forged = client.get("/meetings?msg=Your+account+is+locked").text
    assert "Your account is locked" not in forged
    assert 'class="flash"' not in forged


def test_language_switch_keeps_the_page_query(client: TestClient, clerk: Person) -> None:
    page_login(client, clerk)
    page = client.get("/meetings?tab=past&msg=meeting_created")
    assert 'href="/meetings?tab=past&amp;lang=en"' in page.text


def test_meeting_times_show_in_vietnam_time(
    client: TestClient, session: Session, clerk: Person
) -> None:
    start = datetime(2031, 1, 5, 1, 30, tzinfo=UTC)
    meeting = make_meeting(session, creator=clerk, title="Họp sáng")
    meeting.start_at, meeting.end_at = start, start + timedelta(hours=2)
    session.add(meeting)
    session.commit()
    page_login(client, clerk)
    assert "05/01/2031 08:30" in client.get(f"/room/{meeting.id}").text


def test_meeting_times_with_an_offset_are_stored_in_utc(client: TestClient, clerk: Person) -> None:
    # SQLite keeps no offset: 08:00+07:00 must not come back as 08:00 UTC.
    login(client, clerk)
    created = client.post(
        "/api/meetings",
        json={
            "title": "Họp có múi giờ",
            "start_at": "2031-03-02T08:00:00+07:00",
            "end_at": "2031-03-02T10:00:00+07:00",
        },
    )
    assert created.status_code == 201, created.text
    stored = client.get(f"/api/meetings/{created.json()['id']}").json()
    assert datetime.fromisoformat(stored["start_at"]) == datetime(2031, 3, 2, 1, tzinfo=UTC)
