"""Meetings through the API: create and edit, status, agenda, invitations, lists, calendar."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from icalendar import Calendar
from sqlmodel import Session

from models import Meeting, Person, Role
from models.base import utcnow
from tests.factories import assert_error, invite, login, make_meeting, make_user


def window(days: int = 2, hours: int = 2) -> dict[str, str]:
    start = (utcnow() + timedelta(days=days)).replace(microsecond=0)
    return {"start_at": start.isoformat(), "end_at": (start + timedelta(hours=hours)).isoformat()}


def create_meeting(client: TestClient, **fields: Any) -> Response:
    body = {"title": "Kỳ họp thường lệ tháng 12", "location": "Phòng họp số 1", **window()}
    return client.post("/api/meetings", json={**body, **fields})


def set_status(client: TestClient, meeting_id: int | None, status: str) -> Response:
    return client.post(f"/api/meetings/{meeting_id}/status", json={"status": status})


def agenda_url(meeting: Meeting) -> str:
    return f"/api/meetings/{meeting.id}/agenda"


def add_items(client: TestClient, meeting: Meeting, *titles: str) -> list[int]:
    ids = []
    for title in titles:
        response = client.post(agenda_url(meeting), json={"title": title, "planned_minutes": 15})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def agenda_titles(client: TestClient, meeting: Meeting) -> list[str]:
    return [item["title"] for item in client.get(agenda_url(meeting)).json()]


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_create_meeting(clerk_client: TestClient, session: Session) -> None:
    chair = make_user(session)
    times = window()
    response = create_meeting(clerk_client, chair_id=chair.id, description="Nội dung", **times)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "draft"
    assert created["chair_id"] == chair.id
    assert parse_time(created["start_at"]) == datetime.fromisoformat(times["start_at"])
    assert clerk_client.get(f"/api/meetings/{created['id']}").json() == created


def test_times_with_an_offset_keep_their_instant(clerk_client: TestClient) -> None:
    hanoi = {"start_at": "2026-12-01T08:00:00+07:00", "end_at": "2026-12-01T10:30:00+07:00"}
    meeting_id = create_meeting(clerk_client, **hanoi).json()["id"]
    fetched = clerk_client.get(f"/api/meetings/{meeting_id}").json()
    assert parse_time(fetched["start_at"]) == datetime.fromisoformat(hanoi["start_at"])
    assert parse_time(fetched["end_at"]) == datetime.fromisoformat(hanoi["end_at"])
    ics = Calendar.from_ical(clerk_client.get(f"/api/meetings/{meeting_id}/calendar.ics").content)
    assert ics.walk("VEVENT")[0].decoded("dtstart") == datetime.fromisoformat(hanoi["start_at"])


def test_end_before_start_is_422(clerk_client: TestClient) -> None:
    times = window()
    backwards = {"start_at": times["end_at"], "end_at": times["start_at"]}
    body = assert_error(create_meeting(clerk_client, **backwards), 422, "ValidationError")
    assert "end_at" in body["detail"]
    same = {"start_at": times["start_at"], "end_at": times["start_at"]}
    assert_error(create_meeting(clerk_client, **same), 422)
    assert clerk_client.get("/api/meetings").json()["total"] == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"start_at": "not a date"}, "start_at"),
        ({"title": "x" * 301}, "title"),
    ],
)
def test_invalid_meeting_fields_are_422(
    clerk_client: TestClient, fields: dict[str, Any], field: str
) -> None:
    assert_error(create_meeting(clerk_client, **fields), 422, "ValidationError", field=field)


def test_unknown_chair_is_404(clerk_client: TestClient) -> None:
    assert_error(create_meeting(clerk_client, chair_id=9999), 404, "PersonNotFoundError")


def test_update_meeting(clerk_client: TestClient, meeting: Meeting) -> None:
    url = f"/api/meetings/{meeting.id}"
    response = clerk_client.patch(
        url, json={"title": "Kỳ họp bất thường", "location": "Hội trường B"}
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Kỳ họp bất thường"
    assert response.json()["location"] == "Hội trường B"
    start = clerk_client.get(url).json()["start_at"]
    before = (parse_time(start) - timedelta(hours=1)).isoformat()
    assert_error(
        clerk_client.patch(url, json={"end_at": before}), 422, "InvalidDataError", field="end_at"
    )
    assert_error(clerk_client.patch(url, json={"chair_id": 9999}), 404)
    assert_error(clerk_client.patch(url, json={"title": ""}), 422, field="title")


def test_status_moves_through_its_life(clerk_client: TestClient, meeting: Meeting) -> None:
    for status in ("scheduled", "draft", "scheduled", "in_progress", "closed"):
        response = set_status(clerk_client, meeting.id, status)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [
        ([], "in_progress"),
        ([], "closed"),
        (["scheduled", "in_progress"], "draft"),
        (["scheduled", "in_progress", "closed"], "scheduled"),
        (["cancelled"], "draft"),
    ],
)
def test_forbidden_status_change_is_409(
    clerk_client: TestClient, meeting: Meeting, path: list[str], forbidden: str
) -> None:
    for status in path:
        assert set_status(clerk_client, meeting.id, status).status_code == 200
    body = assert_error(
        set_status(clerk_client, meeting.id, forbidden), 409, "StatusTransitionError"
    )
    assert forbidden in body["detail"]
    expected = path[-1] if path else "draft"
    assert clerk_client.get(f"/api/meetings/{meeting.id}").json()["status"] == expected


def test_unknown_status_is_422(clerk_client: TestClient, meeting: Meeting) -> None:
    assert_error(set_status(clerk_client, meeting.id, "postponed"), 422, field="status")


def test_agenda_add_update_delete(clerk_client: TestClient, meeting: Meeting) -> None:
    first, second = add_items(clerk_client, meeting, "Báo cáo tài chính", "Thảo luận")
    agenda = clerk_client.get(agenda_url(meeting)).json()
    assert [item["position"] for item in agenda] == [1, 2, 3]
    assert agenda[1]["planned_minutes"] == 15
    updated = clerk_client.patch(
        f"{agenda_url(meeting)}/{first}", json={"presenter": "Bà Lan", "planned_minutes": 30}
    )
    assert updated.status_code == 200
    assert (updated.json()["presenter"], updated.json()["planned_minutes"]) == ("Bà Lan", 30)
    assert clerk_client.delete(f"{agenda_url(meeting)}/{second}").status_code == 204
    assert agenda_titles(clerk_client, meeting) == ["Khai mạc", "Báo cáo tài chính"]
    assert_error(
        clerk_client.delete(f"{agenda_url(meeting)}/{second}"), 404, "AgendaItemNotFoundError"
    )


def test_agenda_item_validation(clerk_client: TestClient, meeting: Meeting) -> None:
    assert_error(clerk_client.post(agenda_url(meeting), json={"title": ""}), 422, field="title")
    body = {"title": "Dài", "planned_minutes": -5}
    assert_error(clerk_client.post(agenda_url(meeting), json=body), 422, field="planned_minutes")


def test_agenda_reorder(clerk_client: TestClient, meeting: Meeting) -> None:
    opening = clerk_client.get(agenda_url(meeting)).json()[0]["id"]
    report, debate = add_items(clerk_client, meeting, "Báo cáo", "Thảo luận")
    response = clerk_client.put(
        f"{agenda_url(meeting)}/order", json={"item_ids": [debate, opening, report]}
    )
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [debate, opening, report]
    assert agenda_titles(clerk_client, meeting) == ["Thảo luận", "Khai mạc", "Báo cáo"]


def test_bad_agenda_order_is_422(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    opening = clerk_client.get(agenda_url(meeting)).json()[0]["id"]
    (report,) = add_items(clerk_client, meeting, "Báo cáo")
    clerk_person = session.get(Person, meeting.created_by)
    assert clerk_person is not None
    elsewhere = make_meeting(session, creator=clerk_person)
    foreign = clerk_client.get(agenda_url(elsewhere)).json()[0]["id"]
    for ids in ([opening], [opening, opening], [opening, report, report], [opening, foreign], []):
        response = clerk_client.put(f"{agenda_url(meeting)}/order", json={"item_ids": ids})
        assert_error(response, 422, "InvalidDataError", field="item_ids")
    assert agenda_titles(clerk_client, meeting) == ["Khai mạc", "Báo cáo"]
    assert_error(clerk_client.put(f"{agenda_url(meeting)}/order", json={"item_ids": "x"}), 422)


def test_agenda_item_of_another_meeting_is_404(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    clerk_person = session.get(Person, meeting.created_by)
    assert clerk_person is not None
    elsewhere = make_meeting(session, creator=clerk_person)
    foreign = clerk_client.get(agenda_url(elsewhere)).json()[0]["id"]
    assert_error(clerk_client.patch(f"{agenda_url(meeting)}/{foreign}", json={"title": "X"}), 404)
    assert_error(clerk_client.delete(f"{agenda_url(meeting)}/{foreign}"), 404)
    assert agenda_titles(clerk_client, elsewhere) == ["Khai mạc"]


def invitations_url(meeting: Meeting) -> str:
    return f"/api/meetings/{meeting.id}/invitations"


def test_invite_and_list(clerk_client: TestClient, session: Session, meeting: Meeting) -> None:
    delegate = make_user(session, full_name="Phạm Thị Hương")
    body = {"person_id": delegate.id, "role": "delegate", "seat_label": "A3", "voting_right": False}
    response = clerk_client.post(invitations_url(meeting), json=body)
    assert response.status_code == 201, response.text
    invitation = response.json()
    assert (invitation["reply"], invitation["seat_label"]) == ("invited", "A3")
    assert invitation["voting_right"] is False
    listed = clerk_client.get(invitations_url(meeting)).json()
    assert [(row["person_id"], row["full_name"]) for row in listed] == [
        (delegate.id, "Phạm Thị Hương")
    ]


def test_duplicate_invitation_is_409(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    delegate = make_user(session)
    assert (
        clerk_client.post(invitations_url(meeting), json={"person_id": delegate.id}).status_code
        == 201
    )
    again = clerk_client.post(
        invitations_url(meeting), json={"person_id": delegate.id, "role": "observer"}
    )
    assert_error(again, 409, "AlreadyInvitedError", field="person_id")
    assert len(clerk_client.get(invitations_url(meeting)).json()) == 1


def test_inviting_an_unknown_person_is_404(clerk_client: TestClient, meeting: Meeting) -> None:
    response = clerk_client.post(invitations_url(meeting), json={"person_id": 9999})
    assert_error(response, 404, "PersonNotFoundError")
    assert clerk_client.get(invitations_url(meeting)).json() == []


def test_update_and_withdraw_invitation(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    invitation = invite(session, meeting, make_user(session))
    url = f"{invitations_url(meeting)}/{invitation.id}"
    response = clerk_client.patch(url, json={"role": "observer", "voting_right": False})
    assert (response.json()["role"], response.json()["voting_right"]) == ("observer", False)
    assert_error(clerk_client.patch(url, json={"role": "king"}), 422, field="role")
    assert clerk_client.delete(url).status_code == 204
    assert clerk_client.get(invitations_url(meeting)).json() == []
    assert_error(clerk_client.delete(url), 404, "InvitationNotFoundError")


def reply(client: TestClient, meeting: Meeting, answer: str, reason: str = "") -> Response:
    body = {"reply": answer, "reason": reason}
    return client.post(f"{invitations_url(meeting)}/reply", json=body)


def test_invitee_accepts_and_declines(
    client: TestClient, session: Session, meeting: Meeting
) -> None:
    delegate = make_user(session)
    invite(session, meeting, delegate)
    login(client, delegate)
    accepted = reply(client, meeting, "accepted")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["reply"] == "accepted"
    assert accepted.json()["replied_at"] is not None
    declined = reply(client, meeting, "declined", "  Đi công tác  ")
    assert (declined.json()["reply"], declined.json()["reply_reason"]) == (
        "declined",
        "Đi công tác",
    )
    mine = client.get(invitations_url(meeting)).json()
    assert [(row["person_id"], row["reply"]) for row in mine] == [(delegate.id, "declined")]
    assert parse_time(mine[0]["replied_at"]).tzinfo is not None  # never a bare local time
    assert_error(reply(client, meeting, "invited"), 422, field="reply")
    assert_error(reply(client, meeting, "maybe"), 422, field="reply")


def test_only_invitees_reply(client: TestClient, session: Session, meeting: Meeting) -> None:
    login(client, make_user(session, role=Role.secretariat))
    assert_error(reply(client, meeting, "accepted"), 404, "InvitationNotFoundError")
    login(client, make_user(session))
    assert_error(reply(client, meeting, "accepted"), 404, "MeetingNotFoundError")


def test_upcoming_and_past_lists(clerk_client: TestClient, session: Session, clerk: Person) -> None:
    later = make_meeting(session, creator=clerk, days_ahead=10, title="Sau")
    soon = make_meeting(session, creator=clerk, days_ahead=1, title="Sắp tới")
    old = make_meeting(session, creator=clerk, days_ahead=-30, title="Cũ")
    older = make_meeting(session, creator=clerk, days_ahead=-60, title="Cũ hơn")

    def ids(when: str | None) -> list[int | None]:
        params = {"when": when} if when else {}
        return [
            item["id"] for item in clerk_client.get("/api/meetings", params=params).json()["items"]
        ]

    assert ids("upcoming") == [soon.id, later.id]  # soonest first
    assert ids("past") == [old.id, older.id]  # latest first
    assert set(ids(None)) == {later.id, soon.id, old.id, older.id}
    assert_error(clerk_client.get("/api/meetings", params={"when": "someday"}), 422, field="when")


def test_meeting_list_pagination(clerk_client: TestClient, session: Session, clerk: Person) -> None:
    for days in range(1, 6):
        make_meeting(session, creator=clerk, days_ahead=days)
    page = clerk_client.get(
        "/api/meetings", params={"when": "upcoming", "limit": 2, "offset": 1}
    ).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (5, 2, 1, 2)


def test_calendar_download(clerk_client: TestClient, meeting: Meeting) -> None:
    response = clerk_client.get(f"/api/meetings/{meeting.id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]) == "Kỳ họp thứ nhất"
    assert str(event["location"]) == "Hội trường A"
    api = clerk_client.get(f"/api/meetings/{meeting.id}").json()
    assert event.decoded("dtstart") == parse_time(api["start_at"]).replace(microsecond=0)
    assert event.decoded("dtend") == parse_time(api["end_at"]).replace(microsecond=0)


def test_cancelled_meeting_calendar_says_so(clerk_client: TestClient, meeting: Meeting) -> None:
    set_status(clerk_client, meeting.id, "cancelled")
    response = clerk_client.get(f"/api/meetings/{meeting.id}/calendar.ics")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["status"]) == "CANCELLED"


def test_unknown_meeting_is_404(clerk_client: TestClient) -> None:
    for url in (
        "/api/meetings/9999",
        "/api/meetings/9999/agenda",
        "/api/meetings/9999/calendar.ics",
    ):
        assert_error(clerk_client.get(url), 404, "MeetingNotFoundError")
    assert_error(clerk_client.patch("/api/meetings/9999", json={"title": "X"}), 404)
    assert_error(clerk_client.post("/api/meetings/9999/agenda", json={"title": "X"}), 404)
    assert_error(set_status(clerk_client, 9999, "scheduled"), 404)


def test_malformed_json_body_is_422(clerk_client: TestClient) -> None:
    response = clerk_client.post(
        "/api/meetings", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "ValidationError")
