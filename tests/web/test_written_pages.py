"""The written consultation pages (issue 17, point 3): created as a meeting of kind "written"
from the form, questions sent from the page (bad input re-renders with the reason and sends
nothing), the answers counted on the page, closed early, signed off, and the result printed."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from models import Meeting, MeetingKind, Person, Poll, Role
from models.base import utcnow
from tests.factories import login, make_user, nonce
from web.pages.render import datetime_local


def as_browser(client: TestClient, person: Person) -> TestClient:
    """Logged in like a browser: form posts carry the CSRF token as a field."""
    login(client, person)
    client.headers.pop("x-csrf-token", None)
    return client


def post_form(client: TestClient, url: str, data: dict[str, Any] | None = None) -> Response:
    fields = {"csrf_token": client.cookies.get("hop_csrf"), **(data or {})}
    return client.post(url, data=fields, follow_redirects=False)


def create_written(client: TestClient, session: Session, title: str = "Lấy ý kiến chợ") -> Meeting:
    start = utcnow() + timedelta(hours=1)
    form = {
        "title": title,
        "start_at": datetime_local(start),
        "end_at": datetime_local(start + timedelta(days=3)),
        "kind": "written",
    }
    created = post_form(client, "/meetings", form)
    assert created.status_code == 303, created.text
    meeting = session.exec(select(Meeting).where(Meeting.title == title)).one()
    assert meeting.kind == MeetingKind.written
    return meeting


def invite(client: TestClient, meeting: Meeting, people: list[Person]) -> None:
    for person in people:
        invited = client.post(
            f"/api/meetings/{meeting.id}/invitations",
            json={"person_id": person.id, "role": "delegate"},
            headers={"x-csrf-token": client.cookies.get("hop_csrf") or ""},
        )
        assert invited.status_code == 201, invited.text


def questions_of(session: Session, meeting: Meeting) -> list[Poll]:
    session.expire_all()
    return list(session.exec(select(Poll).where(Poll.meeting_id == meeting.id)))


def send_form(titles: list[str], deadline: str, rule: str = "absolute_members") -> dict[str, str]:
    fields = {f"question_{index}": title for index, title in enumerate(titles)}
    return {**fields, "deadline": deadline, "majority_rule": rule}


def test_the_new_meeting_form_offers_a_written_consultation(
    client: TestClient, session: Session
) -> None:
    as_browser(client, make_user(session, role=Role.secretariat))
    form = client.get("/meetings?lang=vi").text
    assert "Họp (phiên họp)" in form
    assert "Lấy ý kiến bằng văn bản" in form
    meeting = create_written(client, session)
    assert meeting.location == ""
    listed = client.get("/meetings?lang=vi").text
    assert 'class="badge written"' in listed
    editor = client.get(f"/meetings/{meeting.id}/edit?lang=vi").text
    assert f'href="/meetings/{meeting.id}/written"' in editor


def test_sending_refuses_bad_input_with_the_reason(client: TestClient, session: Session) -> None:
    as_browser(client, make_user(session, role=Role.secretariat))
    meeting = create_written(client, session)
    url = f"/meetings/{meeting.id}/written?lang=vi"
    tomorrow = datetime_local(utcnow() + timedelta(days=1))
    nobody = post_form(client, url, send_form(["Đồng ý cải tạo chợ"], tomorrow))
    assert nobody.status_code == 422
    assert "Chưa có ai để trả lời" in nobody.text
    invite(client, meeting, [make_user(session)])
    empty = post_form(client, url, send_form(["", "  "], tomorrow))
    assert empty.status_code == 422
    assert "Hãy nhập ít nhất một vấn đề xin ý kiến." in empty.text
    past = datetime_local(utcnow() - timedelta(hours=1))
    late = post_form(client, url, send_form(["Đồng ý cải tạo chợ"], past))
    assert late.status_code == 422
    assert "Hạn trả lời phải ở tương lai." in late.text
    assert "Đồng ý cải tạo chợ" in late.text  # the input is kept
    assert questions_of(session, meeting) == []


def test_a_consultation_from_the_page_to_the_signed_off_result(
    client: TestClient, session: Session
) -> None:
    clerk = make_user(session, role=Role.secretariat)
    members = [make_user(session, full_name=f"Ủy viên {n}") for n in range(3)]
    as_browser(client, clerk)
    meeting = create_written(client, session)
    invite(client, meeting, members)
    url = f"/meetings/{meeting.id}/written"
    tomorrow = datetime_local(utcnow() + timedelta(days=1))
    sent = post_form(
        client, url, send_form(["Đồng ý cải tạo chợ", "", "Đồng ý dời lịch"], tomorrow)
    )
    assert sent.status_code == 303, sent.text
    first, second = questions_of(session, meeting)
    assert first.title == "Đồng ý cải tạo chợ"
    for person in members[:2]:
        login(client, person)
        for poll, text in ((first, "Nên làm sớm"), (second, "")):
            ballot = {"nonce": nonce(), "agree": True, "text": text}
            assert client.post(f"/api/polls/{poll.id}/ballots", json=ballot).status_code == 200
        assert client.get(url).status_code == 403  # a member does not manage it
    as_browser(client, clerk)
    page = client.get(f"{url}?lang=vi").text
    assert "Ủy viên 2" in page
    assert "Ủy viên 0" not in page.split("Chưa trả lời đủ")[1]
    assert "Nên làm sớm" in page
    assert "Kết thúc sớm" in page
    unconfirmed = post_form(client, f"{url}/close?lang=vi")
    assert unconfirmed.status_code == 422
    assert "Hãy đánh dấu ô xác nhận" in unconfirmed.text
    closed = post_form(client, f"{url}/close", {"confirm": "on"})
    assert closed.status_code == 303
    assert all(poll.status == "closed" for poll in questions_of(session, meeting))
    signed = post_form(client, f"{url}/sign-off")
    assert signed.status_code == 303
    done = client.get(f"{url}?lang=vi").text
    assert f"/api/meetings/{meeting.id}/written/result.pdf" in done
    assert "Được thông qua" in done
    pdf = client.get(f"/api/meetings/{meeting.id}/written/result.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    again = post_form(client, f"{url}/sign-off")
    assert again.status_code == 409


def test_the_page_in_english_and_not_for_a_session(client: TestClient, session: Session) -> None:
    as_browser(client, make_user(session, role=Role.secretariat))
    meeting = create_written(client, session)
    english = client.get(f"/meetings/{meeting.id}/written?lang=en").text
    assert "Written consultation" in english
    assert "Send the consultation" in english
    start = utcnow() + timedelta(days=1)
    form = {
        "title": "Kỳ họp",
        "start_at": datetime_local(start),
        "end_at": datetime_local(start + timedelta(hours=2)),
    }
    assert post_form(client, "/meetings", form).status_code == 303
    hall = session.exec(select(Meeting).where(Meeting.title == "Kỳ họp")).one()
    assert hall.kind == MeetingKind.session
    refused = client.get(f"/meetings/{hall.id}/written?lang=en")
    assert refused.status_code == 409
    assert "not a written consultation" in refused.text


def test_the_room_of_a_written_consultation_has_no_session_parts(
    client: TestClient, session: Session
) -> None:
    member = make_user(session)
    as_browser(client, make_user(session, role=Role.secretariat))
    meeting = create_written(client, session)
    invite(client, meeting, [member])
    as_browser(client, member)
    room = client.get(f"/room/{meeting.id}?lang=vi").text
    assert "trả lời từng vấn đề dưới đây trước hạn" in room
    assert 'id="speakers"' not in room
    assert "Chỗ ngồi" not in room


def test_the_answers_fragment_follows_the_ballots(client: TestClient, session: Session) -> None:
    member = make_user(session, full_name="Ủy viên Hoa")
    clerk = make_user(session, role=Role.secretariat)
    as_browser(client, clerk)
    meeting = create_written(client, session)
    invite(client, meeting, [member])
    tomorrow = datetime_local(utcnow() + timedelta(days=1))
    url = f"/meetings/{meeting.id}/written"
    assert post_form(client, url, send_form(["Đồng ý"], tomorrow)).status_code == 303
    page = client.get(url).text
    assert f'data-live-fragment="{url}/answers"' in page
    assert "Ủy viên Hoa" in client.get(f"{url}/answers?lang=vi").text  # still owes
    [poll] = questions_of(session, meeting)
    login(client, member)
    ballot = {"nonce": nonce(), "agree": False, "text": ""}
    assert client.post(f"/api/polls/{poll.id}/ballots", json=ballot).status_code == 200
    as_browser(client, clerk)
    fragment = client.get(f"{url}/answers?lang=vi").text
    assert "Mọi thành viên đã trả lời." in fragment
    assert "<html" not in fragment
