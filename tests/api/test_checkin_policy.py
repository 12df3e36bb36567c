"""Setting a meeting's check-in thresholds and liveness through the API."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Role
from tests.factories import invite, login, make_meeting, make_person


def test_staff_set_thresholds_and_liveness_per_meeting(
    client: TestClient, session: Session
) -> None:
    clerk = make_person(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    other = make_meeting(session, creator=clerk, title="Khác")
    login(client, clerk)
    url = f"/api/meetings/{meeting.id}/checkin-policy"
    defaults = client.get(url).json()
    assert defaults["accept_threshold"] < defaults["grey_threshold"]
    assert defaults["require_liveness"] is False
    changed = client.patch(url, json={"accept_threshold": 0.45, "require_liveness": True})
    assert changed.status_code == 200, changed.text
    assert client.get(url).json()["accept_threshold"] == 0.45
    assert client.get(url).json()["require_liveness"] is True
    untouched = client.get(f"/api/meetings/{other.id}/checkin-policy").json()
    assert untouched["require_liveness"] is False


def test_bad_thresholds_are_refused_and_change_nothing(
    client: TestClient, session: Session
) -> None:
    clerk = make_person(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    login(client, clerk)
    url = f"/api/meetings/{meeting.id}/checkin-policy"
    before = client.get(url).json()
    assert client.patch(url, json={"accept_threshold": 0.9}).status_code == 422  # above grey
    assert client.patch(url, json={"margin": -1}).status_code == 422
    assert client.get(url).json() == before


def test_delegates_cannot_change_the_policy(client: TestClient, session: Session) -> None:
    clerk = make_person(session, role=Role.secretariat)
    delegate = make_person(session)
    meeting = make_meeting(session, creator=clerk)
    invite(session, meeting, delegate)
    login(client, delegate)
    url = f"/api/meetings/{meeting.id}/checkin-policy"
    assert client.patch(url, json={"require_liveness": True}).status_code == 403
