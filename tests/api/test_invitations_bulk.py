"""Inviting several people or a unit through the API (POST …/invitations/bulk), and editing an
agenda item or an invitation: bad input is a 4xx that changes nothing."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from meetings import people, scheduling
from models import Meeting, MeetingStatus, OrgUnitCreate, Person, PersonUpdate
from tests.factories import assert_error, invite, login, make_meeting, make_user, start_meeting


def bulk(client: TestClient, meeting: Meeting, **body: Any) -> Response:
    return client.post(f"/api/meetings/{meeting.id}/invitations/bulk", json=body)


def invited(client: TestClient, meeting: Meeting) -> set[int]:
    rows = client.get(f"/api/meetings/{meeting.id}/invitations").json()
    return {row["person_id"] for row in rows}


def test_invite_people_and_a_unit_in_one_request(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    first, second, member, inactive, already = (make_user(session) for _ in range(5))
    unit = people.create_unit(session=session, data=OrgUnitCreate(name="Phòng Văn hóa"))
    for person in (member, inactive, already):
        people.update_person(session=session, person=person, data=PersonUpdate(unit_id=unit.id))
    people.update_person(session=session, person=inactive, data=PersonUpdate(active=False))
    invite(session, meeting, already)
    response = bulk(
        clerk_client,
        meeting,
        person_ids=[first.id, second.id],
        unit_id=unit.id,
        role="observer",
        voting_right=False,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {row["person_id"] for row in body["invited"]} == {first.id, second.id, member.id}
    assert {(row["role"], row["voting_right"]) for row in body["invited"]} == {("observer", False)}
    assert sorted((row["person_id"], row["reason"]) for row in body["skipped"]) == sorted(
        [(inactive.id, "inactive"), (already.id, "already_invited")]
    )
    assert invited(clerk_client, meeting) == {first.id, second.id, member.id, already.id}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "person_ids"),
        ({"person_ids": []}, 422, "person_ids"),
        ({"person_ids": [999_999]}, 422, "person_ids"),
        ({"unit_id": 999_999}, 422, "unit_id"),
        ({"person_ids": [0]}, 422, "person_ids.0"),
        ({"person_ids": [2**70]}, 422, "person_ids.0"),
        ({"person_ids": list(range(1, 1002))}, 422, "person_ids"),
        ({"person_ids": ["x"]}, 422, "person_ids.0"),
        ({"person_ids": "1,2"}, 422, "person_ids"),
        ({"person_ids": [1], "role": "de\x00legate"}, 422, "role"),
        ({"person_ids": [1], "voting_right": "maybe"}, 422, "voting_right"),
    ],
)
def test_bad_bulk_input_is_422_and_changes_nothing(
    clerk_client: TestClient,
    session: Session,
    meeting: Meeting,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    make_user(session)  # someone to invite, so that a refusal is not for want of people
    assert_error(bulk(clerk_client, meeting, **body), status, field=field)
    assert invited(clerk_client, meeting) == set()


def test_one_unknown_id_refuses_the_whole_request(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    known = make_user(session)
    assert_error(bulk(clerk_client, meeting, person_ids=[known.id, 999_999]), 422)
    assert invited(clerk_client, meeting) == set()


def test_a_closed_meeting_refuses_with_409(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    person = make_user(session)
    start_meeting(session, meeting)
    scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.closed)
    refused = bulk(clerk_client, meeting, person_ids=[person.id])
    assert_error(refused, 409, "InvitationsClosedError")
    single = clerk_client.post(
        f"/api/meetings/{meeting.id}/invitations", json={"person_id": person.id}
    )
    assert_error(single, 409, "InvitationsClosedError")
    assert invited(clerk_client, meeting) == set()


def test_only_managers_invite_in_bulk(
    client: TestClient, session: Session, meeting: Meeting
) -> None:
    delegate = make_user(session)
    invite(session, meeting, delegate)
    login(client, delegate)
    assert_error(bulk(client, meeting, person_ids=[delegate.id]), 403)
    outsider = make_user(session)
    login(client, outsider)
    assert_error(bulk(client, meeting, person_ids=[outsider.id]), 404)


def test_an_invitation_of_another_meeting_is_404(
    clerk_client: TestClient, session: Session, meeting: Meeting, clerk: Person
) -> None:
    elsewhere = make_meeting(session, creator=clerk)
    foreign = invite(session, elsewhere, make_user(session))
    url = f"/api/meetings/{meeting.id}/invitations/{foreign.id}"
    assert_error(clerk_client.patch(url, json={"seat_label": "Z9"}), 404)
    session.refresh(foreign)
    assert foreign.seat_label == "A1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seat_label": "x" * 41}, "seat_label"),
        ({"seat_label": "A\x001"}, "seat_label"),
        ({"role": "king"}, "role"),
        ({"voting_right": "often"}, "voting_right"),
    ],
)
def test_bad_invitation_edits_are_422(
    clerk_client: TestClient,
    session: Session,
    meeting: Meeting,
    body: dict[str, Any],
    field: str,
) -> None:
    invitation = invite(session, meeting, make_user(session))
    url = f"/api/meetings/{meeting.id}/invitations/{invitation.id}"
    assert_error(clerk_client.patch(url, json=body), 422, field=field)
    session.refresh(invitation)
    assert (invitation.seat_label, invitation.role) == ("A1", "delegate")


def test_nulls_leave_an_invitation_and_an_item_as_they_are(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    invitation = invite(session, meeting, make_user(session))
    url = f"/api/meetings/{meeting.id}/invitations/{invitation.id}"
    changed = clerk_client.patch(url, json={"role": None, "voting_right": None, "seat_label": "B"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["seat_label"]) == ("delegate", "B")
    item = scheduling.list_agenda(session=session, meeting=meeting)[0]
    agenda_url = f"/api/meetings/{meeting.id}/agenda/{item.id}"
    edited = clerk_client.patch(agenda_url, json={"title": None, "presenter": "Chánh VP"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["title"], edited.json()["presenter"]) == ("Khai mạc", "Chánh VP")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x" * 501}, "title"),
        ({"title": ""}, "title"),
        ({"title": "Mục\x00"}, "title"),
        ({"presenter": "y" * 201}, "presenter"),
        ({"planned_minutes": 100_000}, "planned_minutes"),
    ],
)
def test_bad_agenda_edits_are_422(
    clerk_client: TestClient, session: Session, meeting: Meeting, body: dict[str, Any], field: str
) -> None:
    item = scheduling.list_agenda(session=session, meeting=meeting)[0]
    url = f"/api/meetings/{meeting.id}/agenda/{item.id}"
    assert_error(clerk_client.patch(url, json=body), 422, field=field)
    session.refresh(item)
    assert item.title == "Khai mạc"
