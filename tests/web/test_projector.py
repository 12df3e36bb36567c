"""The projector page: opened with a device token, driven by live events."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from meetings import scheduling
from models import Role
from tests.factories import issue_projector, login, make_meeting, make_person, start_meeting


def test_projector_opens_with_its_device_token(client: TestClient, session: Session) -> None:
    clerk = make_person(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk, title="Kỳ họp trên máy chiếu")
    login(client, clerk)
    token = issue_projector(client, meeting.id)["token"]
    client.cookies.clear()
    page = client.get(f"/projector/{meeting.id}?token={token}")
    assert page.status_code == 200
    assert "Kỳ họp trên máy chiếu" in page.text
    assert f'data-live-token="{token}"' in page.text
    assert f'data-live-fragment="/projector/{meeting.id}/focus?token={token}"' in page.text
    focus = client.get(f"/projector/{meeting.id}/focus?token={token}").text
    assert 'data-focus="status"' in focus
    assert "Cuộc họp chưa bắt đầu." in focus


def test_projector_shows_the_current_item(client: TestClient, session: Session) -> None:
    clerk = make_person(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    item = scheduling.list_agenda(session=session, meeting=meeting)[0]
    from meetings.live import set_current_item

    start_meeting(session, meeting)  # the current item is set in a running meeting only
    set_current_item(session, meeting=meeting, item_id=item.id)
    login(client, clerk)
    page = client.get(f"/projector/{meeting.id}?lang=en")
    assert 'data-focus="item"' in page.text
    assert "Now discussing" in page.text
    assert "Khai mạc" in page.text


def test_projector_refuses_wrong_or_missing_tokens(client: TestClient, session: Session) -> None:
    clerk = make_person(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    other = make_meeting(session, creator=clerk, title="Khác")
    login(client, clerk)
    issued = issue_projector(client, other.id)
    assert client.post(f"/api/devices/{issued['id']}/revoke").status_code == 200
    fresh = issue_projector(client, other.id)
    client.cookies.clear()
    anonymous = client.get(f"/projector/{meeting.id}", follow_redirects=False)
    assert anonymous.status_code == 303  # no token at all: staff log in
    assert client.get(f"/projector/{meeting.id}?token={fresh['token']}").status_code == 404
    # A bad or revoked token: a page that says so (tests/web/test_screens_fit.py), not a login.
    revoked = client.get(f"/projector/{other.id}?token={issued['token']}", follow_redirects=False)
    assert revoked.status_code == 403
    nonsense = client.get(f"/projector/{other.id}?token=nonsense", follow_redirects=False)
    assert nonsense.status_code == 403
