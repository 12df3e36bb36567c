"""Voting over the meeting websocket: the ballot reaches tablets, casts are acknowledged with
their nonce, progress is coalesced and never goes back, results are published."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models import Meeting
from models.events import PUBLISH
from tests.factories import ORIGIN, Room, login, nonce, receive_until
from voting import polls


@contextmanager
def socket(client: TestClient, meeting: Meeting) -> Iterator[Any]:
    with client.websocket_connect(f"/ws/meetings/{meeting.id}", headers=ORIGIN) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        yield ws


@pytest.fixture
def live_room(room: Room, client: TestClient) -> Room:
    """The room, with service commits published to the app's hub."""
    room.session.info[PUBLISH] = client.app.state.hop.hub.publish_threadsafe  # type: ignore[attr-defined]
    return room


def test_a_ballot_over_the_websocket_is_acknowledged_with_its_nonce(
    client: TestClient, live_room: Room
) -> None:
    room = live_room
    login(client, room.delegates[0])
    with socket(client, room.meeting) as ws:
        poll = room.open()
        opened = receive_until(ws, "poll.opened")
        assert opened["data"]["poll"]["options"][0]["id"] == "yes"
        ballot = {"type": "ballot", "poll_id": poll.id, "choice": "yes", "nonce": nonce()}
        ws.send_json(ballot)
        seen: list[dict[str, Any]] = []
        ack = receive_until(ws, "ballot.ack", seen)
        assert ack["nonce"] == ballot["nonce"]
        assert ack["poll_id"] == poll.id
        assert "received_at" in ack
        ws.send_json(ballot)
        assert receive_until(ws, "ballot.ack", seen) == ack
        progress = receive_until(ws, "progress", seen)
        assert progress["data"]["subject"] == f"poll:{poll.id}"
        assert progress["data"]["done"] == 1
        assert all(message["type"] != "poll.ballot" for message in seen)


def test_websocket_refusals_carry_the_nonce_and_the_status(
    client: TestClient, live_room: Room
) -> None:
    room = live_room
    poll = room.open()
    login(client, room.delegates[0])
    with socket(client, room.meeting) as ws:
        ref = nonce()
        ws.send_json({"type": "ballot", "poll_id": poll.id, "choice": "perhaps", "nonce": ref})
        error = receive_until(ws, "error")
        assert (error["ref"], error["status"], error["error"]) == (ref, 422, "InvalidBallotError")
        ws.send_json({"type": "ballot", "poll_id": poll.id, "choice": "yes"})
        assert receive_until(ws, "error")["status"] == 422
        ws.send_json({"type": "ballot", "poll_id": 10**6, "choice": "yes", "nonce": nonce()})
        assert receive_until(ws, "error")["status"] == 404
        ws.send_json({"type": "ping"})
        assert receive_until(ws, "pong") == {"type": "pong"}


def test_progress_is_coalesced_and_never_goes_back(client: TestClient, live_room: Room) -> None:
    room = live_room
    login(client, room.chair)
    with socket(client, room.meeting) as ws:
        poll = room.open(secret=True)
        for delegate in room.delegates:
            room.cast(poll, delegate, choice="no")
        seen: list[dict[str, Any]] = []
        last: dict[str, Any] = {}
        while last.get("done") != len(room.delegates):
            last = receive_until(ws, "progress", seen)["data"]
        progress = [m["data"] for m in seen if m["type"] == "progress"]
        versions = [data["version"] for data in progress]
        assert versions == sorted(versions)
        assert len(progress) < len(room.delegates) + 1  # coalesced, not one per ballot
        assert set(last) == {"subject", "poll_id", "status", "done", "total", "version"}
        assert last["total"] == 6
        ballots_seen = [m for m in seen if m["type"] == "poll.ballot"]
        assert all(m["data"] == {"poll_id": poll.id} for m in ballots_seen)  # managers only


def test_publishing_sends_the_result_to_every_screen(client: TestClient, live_room: Room) -> None:
    room = live_room
    poll = room.open(secret=True)
    receipt = room.cast(poll, room.delegates[0], choice="yes").receipt
    login(client, room.delegates[1])
    with socket(client, room.meeting) as ws:
        polls.close_poll(session=room.session, poll=poll)
        closed = receive_until(ws, "poll.closed")
        assert "result" not in closed["data"]
        polls.publish_poll(session=room.session, poll=poll)
        published = receive_until(ws, "poll.published")
        result = published["data"]["result"]
        assert result["verdict"] == "adopted"
        # Only the summary travels to every screen; the receipt lines are read over HTTP.
        assert "receipts" not in result
        stored = polls.get_result(session=room.session, poll=poll, viewer=room.delegates[1])
        assert [line["receipt"] for line in stored["receipts"]] == [receipt]
