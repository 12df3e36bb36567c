"""The committee followed live: each trustee entry sends an event with counts only (nothing
secret, all public on the board): `poll.key_setup` during setup to the managers (a draft is
theirs), `poll.decryption` once the poll is closed to every screen of the meeting; the console,
the projector and the trustee's page re-read their part on them."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from models import Audience, Event
from tests.api.test_encrypted_polls import drafted, ready_poll, trustee_posts, vote_as
from tests.api.test_encrypted_setup_again import failed_setup
from tests.factories import ORIGIN, Room, login, receive_until
from voting.encrypted.devices import SETUP_PHASES, Committee

SECRET_FIELDS = {"share", "decryptions", "commitments", "transport_key", "joint_key", "counts"}


def connect(client: TestClient, room: Room) -> Any:
    return client.websocket_connect(f"/ws/meetings/{room.meeting.id}", headers=ORIGIN)


def test_each_setup_entry_sends_the_committee_s_counts(client: TestClient, room: Room) -> None:
    poll_id = drafted(client, room)
    committee = Committee.of(3)
    login(client, room.chair)  # a draft's setup goes to the managers (drafts are theirs)
    seen: list[dict[str, Any]] = []
    with connect(client, room) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        for kind in SETUP_PHASES:
            for device in committee.devices:
                posted = trustee_posts(client, room, poll_id, committee, kind, device.index)
                assert posted.status_code == 201, posted.text
                seen.append(receive_until(ws, "poll.key_setup")["data"])
    assert all(data["poll_id"] == poll_id and data["trustees"] == 3 for data in seen)
    assert [(d["keys"], d["shares"], d["confirmed"]) for d in seen] == [
        (1, 0, 0),
        (2, 0, 0),
        (3, 0, 0),
        (3, 1, 0),
        (3, 2, 0),
        (3, 3, 0),
        (3, 3, 1),
        (3, 3, 2),
        (3, 3, 3),
    ]
    assert [d["ready"] for d in seen] == [False] * 8 + [True]
    assert not any(d["abandoned"] for d in seen)
    assert all(not SECRET_FIELDS & set(data) for data in seen)
    audiences = room.session.exec(select(Event.audience).where(Event.type == "poll.key_setup"))
    assert set(audiences) == {Audience.managers}


def test_each_partial_sends_k_of_t(client: TestClient, room: Room) -> None:
    poll_id, committee = ready_poll(client, room)
    vote_as(client, poll_id, room.delegates[3], ["yes"], False)
    login(client, room.chair)
    assert client.post(f"/api/polls/{poll_id}/close").status_code == 200
    page = client.get(f"/meetings/{room.meeting.id}/polls")
    assert "poll.decryption" in page.text  # the console's poll list re-reads on it
    with connect(client, room) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        first = trustee_posts(client, room, poll_id, committee, "partial", 2)
        assert first.status_code == 201, first.text
        one = receive_until(ws, "poll.decryption")["data"]
        assert one == {
            "poll_id": poll_id,
            "status": "closed",
            "done": 1,
            "needed": 2,
            "decrypted": False,
        }
        login(client, room.chair)
        listed = client.get(f"/meetings/{room.meeting.id}/polls/list").text
        assert "1 trên 2" in listed  # "waiting for the trustees: 1 of 2 needed"
        second = trustee_posts(client, room, poll_id, committee, "partial", 3)
        assert [e["kind"] for e in second.json()] == ["partial", "result"]
        two = receive_until(ws, "poll.decryption")["data"]
        assert (two["done"], two["needed"], two["decrypted"]) == (2, 2, True)
        assert "result" not in two
        assert "counts" not in two


def test_the_console_shows_the_setup_and_offers_to_set_up_again(
    client: TestClient, room: Room
) -> None:
    poll_id = drafted(client, room)
    committee = Committee.of(3)
    assert trustee_posts(client, room, poll_id, committee, "trustee", 1).status_code == 201
    login(client, room.chair)
    page = client.get(f"/meetings/{room.meeting.id}/polls")
    assert "poll.key_setup" in page.text
    listed = client.get(f"/meetings/{room.meeting.id}/polls/list").text
    assert "1/3 đã tạo khóa, 0/3 đã gửi phần khóa, 0/3 thành viên đã xác nhận" in listed
    assert "set-up-again" not in listed

    failed = failed_setup(client, room)
    login(client, room.chair)
    listed = client.get(f"/meetings/{room.meeting.id}/polls/list").text
    action = f'action="/meetings/{room.meeting.id}/encrypted-polls/{failed}/set-up-again"'
    assert action in listed
    assert "data-confirm=" in listed.split(action)[1].split(">")[0]
    assert "Thiết lập lại" in listed
    assert f"/polls/{failed}/open" not in listed  # it cannot open: no "open" button

    # The button: a new draft in its place, and the console says so.
    done = client.post(
        f"/meetings/{room.meeting.id}/encrypted-polls/{failed}/set-up-again",
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert "#poll-" in done.headers["location"]
    assert client.get(f"/api/polls/{failed}").json()["status"] == "cancelled"
    listed = client.get(f"/meetings/{room.meeting.id}/polls/list").text
    assert action not in listed


def test_the_trustee_page_and_the_projector_follow_the_events(
    client: TestClient, room: Room
) -> None:
    poll_id = drafted(client, room)
    login(client, room.delegates[0])
    page = client.get(f"/polls/{poll_id}/trustee").text
    assert f'data-live-meeting="{room.meeting.id}"' in page
    assert "/static/live.js" in page
    assert "data-text-setup-failed=" in page
    assert "data-text-set-up-again=" in page
    login(client, room.chair)
    projector = client.get(f"/projector/{room.meeting.id}").text
    assert "poll.decryption" in projector
