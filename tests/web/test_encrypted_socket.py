"""Encrypted ballots over the meeting websocket: the REST route's acknowledgement and rules,
the proofs checked in the ballot-proof pool (web.proof_pool)."""

from typing import Any

from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from tests.api.test_encrypted_polls import board_of, ready_poll
from tests.factories import (
    ORIGIN,
    Room,
    check_in,
    check_out,
    login,
    make_meeting,
    nonce,
    seat,
    start_meeting,
)
from voting.encrypted.devices import tablet


def answer(ws: WebSocketTestSession, key: str) -> dict[str, Any]:
    """The socket's answer to the message sent with nonce `key` (live events skipped)."""
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message.get("type") == "ballot.ack" and message.get("nonce") == key:
            return message
        if message.get("type") == "error" and message.get("ref") == key:
            return message


def send(ws: WebSocketTestSession, poll_id: int, ballot: Any, key: str | None = None) -> Any:
    key = key or nonce()
    ws.send_json({"type": "ballot.encrypted", "poll_id": poll_id, "ballot": ballot, "nonce": key})
    return answer(ws, key)


def connect(client: TestClient, room: Room) -> Any:
    return client.websocket_connect(f"/ws/meetings/{room.meeting.id}", headers=ORIGIN)


def voted(client: TestClient, poll_id: int) -> bool:
    return bool(client.get(f"/api/polls/{poll_id}/my-ballot").json()["voted"])


def test_a_ballot_cast_over_the_socket_is_acknowledged_once(client: TestClient, room: Room) -> None:
    poll_id, _ = ready_poll(client, room)
    login(client, room.delegates[0])
    board = board_of(client, poll_id)
    ballot = tablet(board, ["yes"])["ballot"]
    key = nonce()
    with connect(client, room) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        ack = send(ws, poll_id, ballot, key)
        assert ack["type"] == "ballot.ack", ack
        assert ack["tracking_code"] == ballot["tracking_code"]
        assert (ack["poll_id"], ack["nonce"], ack["on_behalf_of"]) == (poll_id, key, None)
        assert send(ws, poll_id, ballot, key) == ack  # a resend: the same acknowledgement
        second = send(ws, poll_id, tablet(board, ["no"])["ballot"])
        assert second["error"] == "AlreadyVotedError"
        assert second["message"] != second["detail"]  # in the socket's language (Vietnamese)
    assert voted(client, poll_id)
    login(client, room.chair)
    assert client.post(f"/api/polls/{poll_id}/close").json()["ballots"] == 1


def test_a_bad_proof_is_refused_and_nothing_is_stored(client: TestClient, room: Room) -> None:
    poll_id, _ = ready_poll(client, room)
    login(client, room.delegates[1])
    ballot = tablet(board_of(client, poll_id), ["no"])["ballot"]
    tampered = {
        **ballot,
        "sum_proof": [{**ballot["sum_proof"][0], "c": ballot["proofs"][0][0]["c"]}],
    }
    with connect(client, room) as ws:
        ws.receive_json()
        error = send(ws, poll_id, tampered)
        assert (error["error"], error["status"]) == ("InvalidEncryptedBallotError", 422)
        assert "sum_proof" in error["detail"]
        assert send(ws, poll_id, {**ballot, "extra": 1})["status"] == 422
        assert send(ws, poll_id, None)["error"] == "InvalidBallotError"
    assert not voted(client, poll_id)


def test_an_absent_delegate_and_another_meeting_are_refused(client: TestClient, room: Room) -> None:
    poll_id, _ = ready_poll(client, room)
    absent = room.delegates[4]
    check_out(room.session, room.meeting, absent)
    login(client, absent)
    ballot = tablet(board_of(client, poll_id), ["yes"])["ballot"]
    with connect(client, room) as ws:
        ws.receive_json()
        assert send(ws, poll_id, ballot)["error"] == "NotCheckedInError"
        assert send(ws, poll_id + 1000, ballot)["error"] == "PollNotFoundError"
    assert not voted(client, poll_id)


def test_once_the_poll_is_known_the_batch_still_checks_meeting_and_account(
    client: TestClient, room: Room
) -> None:
    # After a poll's first ballot its setup is kept and no per-ballot read precedes the proofs:
    # the socket's meeting and the voter's account are then checked by the batch writer.
    poll_id, _ = ready_poll(client, room)
    first, other, inactive = room.delegates[0], room.delegates[1], room.delegates[2]
    login(client, first)
    board = board_of(client, poll_id)
    with connect(client, room) as ws:
        ws.receive_json()
        assert send(ws, poll_id, tablet(board, ["yes"])["ballot"])["type"] == "ballot.ack"
    elsewhere = make_meeting(room.session, creator=room.clerk, title="Phiên khác")
    start_meeting(room.session, elsewhere)
    seat(room.session, elsewhere, other)
    check_in(room.session, elsewhere, other)
    login(client, other)
    with client.websocket_connect(f"/ws/meetings/{elsewhere.id}", headers=ORIGIN) as ws:
        ws.receive_json()
        assert send(ws, poll_id, tablet(board, ["no"])["ballot"])["error"] == "PollNotFoundError"
    assert not voted(client, poll_id)
    login(client, inactive)
    with connect(client, room) as ws:
        ws.receive_json()
        inactive.active = False
        room.session.add(inactive)
        room.session.commit()
        refused = send(ws, poll_id, tablet(board, ["no"])["ballot"])
        assert refused["error"] in {"NotEligibleError", "PollNotFoundError"}, refused
    login(client, room.chair)
    assert client.post(f"/api/polls/{poll_id}/close").json()["ballots"] == 1
