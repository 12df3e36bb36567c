"""Edit what you add (issue 14.4), through the pages: agenda items, invitations (role, voting
right, seat), inviting several people or a whole unit at once, and a person's page (details,
deactivation, a password typed or generated). A refused form says why beside itself and
changes nothing; every text field carries its column's length limit."""

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from meetings import people, scheduling
from models import (
    AgendaItem,
    Invitation,
    Meeting,
    MeetingRole,
    MeetingStatus,
    OrgUnitCreate,
    Person,
    PersonUpdate,
    Role,
)
from tests.factories import PASSWORD, invite, login, make_meeting, make_user, start_meeting

NEW_PASSWORD = re.compile(r'<code class="new-password">([^<]+)</code>')


@pytest.fixture
def staff(client: TestClient, clerk: Person) -> TestClient:
    """The clerk, logged in like a browser: forms carry the CSRF token as a field."""
    login(client, clerk)
    client.headers.pop("x-csrf-token", None)
    return client


@pytest.fixture
def other(app: FastAPI, staff: TestClient) -> Iterator[TestClient]:
    """A second browser on the same server (the clerk's starts the app)."""
    with TestClient(app) as second:
        yield second


def post_form(client: TestClient, url: str, data: dict[str, Any] | None = None) -> Response:
    fields = {"csrf_token": client.cookies.get("hop_csrf"), **(data or {})}
    return client.post(url, data=fields, follow_redirects=False)


def first_item(session: Session, meeting: Meeting) -> AgendaItem:
    session.expire_all()
    return scheduling.list_agenda(session=session, meeting=meeting)[0]


def invited(session: Session, meeting: Meeting) -> dict[int, Invitation]:
    session.expire_all()
    rows = session.exec(select(Invitation).where(Invitation.meeting_id == meeting.id))
    return {row.person_id: row for row in rows}


# Agenda items.


def test_an_agenda_item_is_edited_from_its_own_form(
    staff: TestClient, session: Session, meeting: Meeting
) -> None:
    item = first_item(session, meeting)
    editor = staff.get(f"/meetings/{meeting.id}/edit")
    assert f'action="/meetings/{meeting.id}/agenda/{item.id}/edit"' in editor.text
    data = {"title": "Khai mạc kỳ họp", "presenter": "Chủ tịch HĐND", "planned_minutes": "15"}
    response = post_form(staff, f"/meetings/{meeting.id}/agenda/{item.id}/edit", data)
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"?msg=item_saved#item-{item.id}")
    item = first_item(session, meeting)
    assert (item.title, item.presenter, item.planned_minutes) == (
        "Khai mạc kỳ họp",
        "Chủ tịch HĐND",
        15,
    )
    assert "Đã lưu mục chương trình." in staff.get(response.headers["location"]).text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": ""}, "Trường này là bắt buộc."),
        ({"title": "x" * 501}, "Giá trị quá dài."),
        ({"title": "Mục\x00một"}, "Văn bản này chứa ký tự NUL"),
        ({"title": "Mục", "presenter": "y" * 201}, "Giá trị quá dài."),
        ({"title": "Mục", "planned_minutes": "mười"}, "Giá trị không hợp lệ."),
    ],
)
def test_a_refused_item_edit_reopens_its_form_and_changes_nothing(
    staff: TestClient, session: Session, meeting: Meeting, data: dict[str, str], message: str
) -> None:
    item = first_item(session, meeting)
    response = post_form(staff, f"/meetings/{meeting.id}/agenda/{item.id}/edit", data)
    assert response.status_code == 422
    assert message in response.text
    assert '<details class="item-edit" open>' in response.text
    assert first_item(session, meeting).title == "Khai mạc"


def test_an_item_of_another_meeting_or_none_is_404(
    staff: TestClient, session: Session, meeting: Meeting, clerk: Person
) -> None:
    elsewhere = make_meeting(session, creator=clerk)
    foreign = first_item(session, elsewhere)
    for item_id in (foreign.id, 999_999):
        response = post_form(
            staff, f"/meetings/{meeting.id}/agenda/{item_id}/edit", {"title": "Chiếm chỗ"}
        )
        assert response.status_code == 404
    assert first_item(session, elsewhere).title == "Khai mạc"


# Invitations.


def test_an_invitation_is_edited_from_its_row(
    staff: TestClient, session: Session, meeting: Meeting
) -> None:
    person = make_user(session)
    invitation = invite(session, meeting, person)
    url = f"/meetings/{meeting.id}/invitations/{invitation.id}/edit"
    assert f'action="{url}"' in staff.get(f"/meetings/{meeting.id}/edit").text
    # The voting-right box left unticked takes the vote away.
    response = post_form(staff, url, {"role": "observer", "seat_label": "B12"})
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"msg=invitation_saved#invitation-{invitation.id}")
    changed = invited(session, meeting)[person.id or 0]
    assert (changed.role, changed.voting_right, changed.seat_label) == (
        MeetingRole.observer,
        False,
        "B12",
    )
    post_form(staff, url, {"role": "chair", "voting_right": "on", "seat_label": ""})
    changed = invited(session, meeting)[person.id or 0]
    assert (changed.role, changed.voting_right, changed.seat_label) == (MeetingRole.chair, True, "")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"seat_label": "x" * 41}, "Giá trị quá dài."),
        ({"role": "king"}, "Giá trị không hợp lệ."),
        ({"seat_label": "A\x001"}, "Văn bản này chứa ký tự NUL"),
    ],
)
def test_a_refused_invitation_edit_changes_nothing(
    staff: TestClient, session: Session, meeting: Meeting, data: dict[str, str], message: str
) -> None:
    person = make_user(session)
    invitation = invite(session, meeting, person)
    response = post_form(staff, f"/meetings/{meeting.id}/invitations/{invitation.id}/edit", data)
    assert response.status_code == 422
    assert message in response.text
    assert '<details class="invitation-edit" open>' in response.text
    assert invited(session, meeting)[person.id or 0].seat_label == "A1"


def test_an_invitation_of_another_meeting_is_404(
    staff: TestClient, session: Session, meeting: Meeting, clerk: Person
) -> None:
    elsewhere = make_meeting(session, creator=clerk)
    person = make_user(session)
    foreign = invite(session, elsewhere, person)
    url = f"/meetings/{meeting.id}/invitations/{foreign.id}/edit"
    assert post_form(staff, url, {"seat_label": "Z"}).status_code == 404
    assert invited(session, elsewhere)[person.id or 0].seat_label == "A1"


# Several people or a whole unit at once.


def test_a_unit_and_ticked_people_are_invited_in_one_submit(
    staff: TestClient, session: Session, meeting: Meeting
) -> None:
    member, inactive, already, ticked = (make_user(session) for _ in range(4))
    unit = people.create_unit(session=session, data=OrgUnitCreate(name="Phòng Tài chính"))
    for person in (member, inactive, already):
        people.update_person(session=session, person=person, data=PersonUpdate(unit_id=unit.id))
    people.update_person(session=session, person=inactive, data=PersonUpdate(active=False))
    invite(session, meeting, already)
    editor = staff.get(f"/meetings/{meeting.id}/edit")
    assert f'action="/meetings/{meeting.id}/invitations/bulk"' in editor.text
    assert f'name="person_ids" type="checkbox" value="{ticked.id}"' in editor.text
    assert f'value="{inactive.id}"' not in editor.text  # inactive people are not offered
    data = {"unit_id": str(unit.id), "person_ids": [str(ticked.id)], "role": "observer"}
    response = post_form(staff, f"/meetings/{meeting.id}/invitations/bulk", data)
    assert response.status_code == 303
    location = response.headers["location"]
    assert "msg=invited_some" in location
    assert "invited=2" in location
    assert "skipped=2" in location
    assert location.endswith("#invitations")
    rows = invited(session, meeting)
    assert set(rows) == {member.id, already.id, ticked.id}
    assert rows[ticked.id or 0].role == MeetingRole.observer
    assert rows[ticked.id or 0].voting_right is False  # the box was not ticked
    page = staff.get(location).text
    assert "Đã mời; người đã được mời hoặc ngừng hoạt động được bỏ qua." in page
    assert "Đã mời: 2. Bỏ qua (đã được mời hoặc ngừng hoạt động): 2." in page


def test_everyone_invited_and_nobody_new_say_so(
    staff: TestClient, session: Session, meeting: Meeting
) -> None:
    person = make_user(session)
    url = f"/meetings/{meeting.id}/invitations/bulk"
    data = {"person_ids": [str(person.id)], "voting_right": "on"}
    first = post_form(staff, url, data)
    assert "msg=invited_many" in first.headers["location"]
    assert invited(session, meeting)[person.id or 0].voting_right is True
    again = post_form(staff, url, data)
    assert "msg=invited_none" in again.headers["location"]
    assert "Không mời thêm ai" in staff.get(again.headers["location"]).text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Hãy đánh dấu ít nhất một người, hoặc chọn một đơn vị có người."),
        ({"person_ids": ["abc"]}, "Giá trị không hợp lệ."),
        ({"person_ids": ["999999"]}, "Giá trị không hợp lệ."),
        ({"unit_id": "999999"}, "Giá trị không hợp lệ."),
        ({"person_ids": ["1"], "role": "king"}, "Giá trị không hợp lệ."),
    ],
)
def test_a_refused_selection_says_why_and_changes_nothing(
    staff: TestClient, session: Session, meeting: Meeting, data: dict[str, Any], message: str
) -> None:
    make_user(session)
    response = post_form(staff, f"/meetings/{meeting.id}/invitations/bulk", data)
    assert response.status_code == 422
    assert message in response.text
    assert invited(session, meeting) == {}


def test_the_counts_in_the_address_are_shown_only_when_they_are_numbers(
    staff: TestClient, meeting: Meeting
) -> None:
    base = f"/meetings/{meeting.id}/edit?msg=invited_many"
    assert "Đã mời: 3." in staff.get(f"{base}&invited=3&skipped=0").text
    for bad in (
        "invited=x&skipped=0",
        "invited=3",
        "invited=²&skipped=1",
        "invited=9999999&skipped=1",
    ):
        page = staff.get(f"{base}&{bad}")
        assert page.status_code == 200
        assert "invite-counts" not in page.text


@pytest.mark.parametrize("status", [MeetingStatus.closed, MeetingStatus.cancelled])
def test_a_meeting_that_is_over_hides_and_refuses_invitation_changes(
    staff: TestClient, session: Session, meeting: Meeting, status: MeetingStatus
) -> None:
    person, newcomer = make_user(session), make_user(session)
    invitation = invite(session, meeting, person)
    start_meeting(session, meeting)
    scheduling.change_status(session=session, meeting=meeting, status=status)
    editor = staff.get(f"/meetings/{meeting.id}/edit").text
    assert "Cuộc họp đã kết thúc hoặc đã bị hủy: không thể thay đổi lời mời nữa." in editor
    for action in ("/invitations/bulk", '/invitations"', f"/invitations/{invitation.id}/edit"):
        assert f'action="/meetings/{meeting.id}{action}' not in editor
    refused = post_form(
        staff, f"/meetings/{meeting.id}/invitations/bulk", {"person_ids": [str(newcomer.id)]}
    )
    assert refused.status_code == 422
    assert "không thể thay đổi lời mời nữa" in refused.text
    edit = post_form(
        staff, f"/meetings/{meeting.id}/invitations/{invitation.id}/edit", {"seat_label": "Z"}
    )
    assert edit.status_code == 409
    assert set(invited(session, meeting)) == {person.id}


# A person's page.


def test_a_persons_details_are_edited_on_their_page(staff: TestClient, session: Session) -> None:
    person = make_user(session, full_name="Đỗ Văn Cũ")
    unit = people.create_unit(session=session, data=OrgUnitCreate(name="Phòng Nội vụ"))
    listing = staff.get("/people")
    assert f'href="/people/{person.id}"' in listing.text
    page = staff.get(f"/people/{person.id}")
    assert page.status_code == 200
    assert 'value="Đỗ Văn Cũ"' in page.text
    data = {
        "full_name": "Đỗ Văn Mới",
        "title": "Phó Chánh văn phòng",
        "unit_id": str(unit.id),
        "email": "moi@example.vn",
        "phone": "0912345678",
        "role": "delegate",
    }
    response = post_form(staff, f"/people/{person.id}/edit", data)
    assert response.status_code == 303
    assert response.headers["location"] == f"/people/{person.id}?msg=person_saved"
    session.refresh(person)
    assert (person.full_name, person.unit_id, person.email, person.phone) == (
        "Đỗ Văn Mới",
        unit.id,
        "moi@example.vn",
        "0912345678",
    )
    assert "Đã lưu thông tin của người này." in staff.get(response.headers["location"]).text
    # Emptied fields clear what can be empty.
    post_form(staff, f"/people/{person.id}/edit", {"full_name": "Đỗ Văn Mới", "role": "delegate"})
    session.refresh(person)
    assert (person.unit_id, person.email, person.phone, person.title) == (None, None, None, "")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"full_name": ""}, "Trường này là bắt buộc."),
        ({"full_name": "x" * 201}, "Giá trị quá dài."),
        ({"full_name": "Tên", "email": "không-phải-email"}, "Địa chỉ thư điện tử không hợp lệ."),
        ({"full_name": "Tên", "phone": "9" * 41}, "Giá trị quá dài."),
        ({"full_name": "Tên", "unit_id": "999999"}, "Giá trị không hợp lệ."),
        ({"full_name": "Tên", "role": "emperor"}, "Giá trị không hợp lệ."),
        ({"full_name": "Tên\x00"}, "Văn bản này chứa ký tự NUL"),
    ],
)
def test_refused_details_are_shown_and_change_nothing(
    staff: TestClient, session: Session, data: dict[str, str], message: str
) -> None:
    person = make_user(session, full_name="Nguyễn Văn Giữ")
    response = post_form(staff, f"/people/{person.id}/edit", data)
    assert response.status_code == 422
    assert message in response.text
    session.refresh(person)
    assert person.full_name == "Nguyễn Văn Giữ"


def test_deactivation_logs_out_and_reactivation_lets_in(
    staff: TestClient, other: TestClient, session: Session
) -> None:
    person = make_user(session)
    login(other, person)
    response = post_form(staff, f"/people/{person.id}/active", {"active": "false"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/people/{person.id}?msg=person_deactivated"
    assert other.get("/api/meetings").status_code == 401
    body = {"username": person.username, "password": PASSWORD}
    assert other.post("/api/login", json=body).status_code == 401
    page = staff.get(response.headers["location"]).text
    assert "Đã khóa tài khoản" in page
    assert "Tài khoản đã bị khóa: người này không đăng nhập được." in page
    assert "Ngừng hoạt động" in staff.get("/people").text
    post_form(staff, f"/people/{person.id}/active", {"active": "true"})
    assert other.post("/api/login", json=body).status_code == 200


def test_nobody_deactivates_themselves_on_the_page(staff: TestClient, clerk: Person) -> None:
    page = staff.get(f"/people/{clerk.id}").text
    assert f'action="/people/{clerk.id}/active"' not in page
    assert "Bạn không thể tự khóa tài khoản của mình" in page
    refused = post_form(staff, f"/people/{clerk.id}/active", {"active": "false"})
    assert refused.status_code == 409
    assert "Bạn không thể tự khóa tài khoản của mình" in refused.text
    assert staff.get("/people").status_code == 200  # still logged in


def test_a_typed_password_ends_the_persons_sessions(
    staff: TestClient, other: TestClient, session: Session
) -> None:
    person = make_user(session)
    login(other, person)
    url = f"/people/{person.id}/password"
    differ = post_form(staff, url, {"password": "mat-khau-moi", "password_again": "mat-khau-khac"})
    assert differ.status_code == 422
    assert "Hai mật khẩu không khớp nhau." in differ.text
    short = post_form(staff, url, {"password": "ngan", "password_again": "ngan"})
    assert short.status_code == 422
    assert other.get("/api/meetings").status_code == 200  # nothing changed yet
    done = post_form(staff, url, {"password": "mat-khau-moi", "password_again": "mat-khau-moi"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/people/{person.id}?msg=password_set"
    assert other.get("/api/meetings").status_code == 401
    login(other, person, "mat-khau-moi")


def test_a_generated_password_is_shown_once(
    staff: TestClient, other: TestClient, session: Session
) -> None:
    person = make_user(session)
    response = post_form(staff, f"/people/{person.id}/password", {"generate": "true"})
    assert response.status_code == 200
    found = NEW_PASSWORD.search(response.text)
    assert found is not None
    password = found.group(1)
    assert "no-store" in response.headers["cache-control"]
    assert NEW_PASSWORD.search(staff.get(f"/people/{person.id}").text) is None
    login(other, person, password)


def test_only_the_secretariat_opens_a_persons_page(client: TestClient, session: Session) -> None:
    delegate, victim = make_user(session), make_user(session)
    login(client, delegate)
    client.headers.pop("x-csrf-token", None)
    assert client.get(f"/people/{victim.id}").status_code == 403
    refused = post_form(client, f"/people/{victim.id}/password", {"generate": "true"})
    assert refused.status_code == 403
    assert NEW_PASSWORD.search(refused.text) is None


def test_the_secretariat_cannot_touch_an_administrator_on_the_page(
    staff: TestClient, session: Session
) -> None:
    admin = make_user(session, role=Role.admin)
    page = staff.get(f"/people/{admin.id}").text
    assert "Chỉ quản trị viên mới được thay đổi tài khoản của quản trị viên." in page
    assert f'action="/people/{admin.id}/password"' not in page
    refused = post_form(staff, f"/people/{admin.id}/password", {"generate": "true"})
    assert refused.status_code == 403
    assert NEW_PASSWORD.search(refused.text) is None
    assert post_form(staff, f"/people/{admin.id}/active", {"active": "false"}).status_code == 403
    session.refresh(admin)
    assert admin.active


def test_an_unknown_person_is_404(staff: TestClient) -> None:
    assert staff.get("/people/999999").status_code == 404
    assert post_form(staff, "/people/999999/edit", {"full_name": "Ai"}).status_code == 404


# Length limits.


class TextFields(HTMLParser):
    """Every text-like field of a page: (id, maxlength or None)."""

    TEXT = frozenset({"text", "search", "email", "tel", "url", "password"})

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        is_text = tag == "input" and (values.get("type") or "text") in self.TEXT
        if is_text or tag == "textarea":
            self.fields.append((values.get("id") or "", values.get("maxlength")))


def text_fields(html: str) -> list[tuple[str, str | None]]:
    parser = TextFields()
    parser.feed(html)
    return parser.fields


def test_every_text_field_of_these_pages_has_a_length_limit(
    staff: TestClient, session: Session, meeting: Meeting, clerk: Person
) -> None:
    invite(session, meeting, make_user(session))
    for path in (f"/meetings/{meeting.id}/edit", "/people", f"/people/{clerk.id}"):
        fields = text_fields(staff.get(path).text)
        assert fields, path
        assert [name for name, limit in fields if not limit] == [], path
    editor = staff.get(f"/meetings/{meeting.id}/edit").text
    assert 'id="agenda-title" name="title" type="text" value="" required maxlength="500"' in editor
    assert 'maxlength="40"' in editor  # a seat label


def test_the_new_forms_speak_english_too(
    staff: TestClient, session: Session, meeting: Meeting, clerk: Person
) -> None:
    invite(session, meeting, make_user(session))
    make_user(session)
    editor = staff.get(f"/meetings/{meeting.id}/edit?lang=en").text
    for text in ("Invite several people or a whole unit", "Save the item", "Save the invitation"):
        assert text in editor
    person = staff.get(f"/people/{clerk.id}?lang=en").text
    assert "Generate a password" in person
    assert "You cannot deactivate your own account" in person
