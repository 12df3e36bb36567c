"""Encrypted polls through the JSON API: every refusal is a 4xx with a clear message and
leaves the board and the ballots as they were."""

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.test_encrypted_polls import (
    board_of,
    cast,
    create,
    drafted,
    post_entry,
    ready_poll,
    set_up,
    trustee_posts,
)
from tests.factories import Room, assert_error, login, make_user, nonce
from voting.encrypted.audit import verify_board
from voting.encrypted.devices import Committee, tablet
from web.app import create_app
from web.settings import Settings


def kinds(client: TestClient, poll_id: int) -> list[str]:
    return [entry["kind"] for entry in board_of(client, poll_id)["entries"]]


def test_a_committee_that_cannot_be_used_is_refused(client: TestClient, room: Room) -> None:
    login(client, room.chair)
    assert_error(create(client, room, kind="opinion"), 422, "InvalidCommitteeError")
    assert_error(create(client, room, threshold=4), 422, field="threshold")
    changeable = assert_error(create(client, room, allow_change=True), 422, "InvalidPollError")
    assert "secret ballot" in changeable["detail"]
    ids = [p.id for p in room.delegates]
    assert_error(create(client, room, trustees=ids[:2]), 422, field="trustees")
    assert_error(create(client, room, trustees=[ids[0], ids[0], ids[1]]), 422, field="trustees")
    stranger = make_user(room.session)
    outside = [ids[0], ids[1], stranger.id]
    body = assert_error(create(client, room, trustees=outside), 422, "InvalidCommitteeError")
    assert "participant" in body["detail"]
    login(client, room.delegates[0])
    assert_error(create(client, room), 403)
    login(client, room.chair)
    assert client.get(f"/api/meetings/{room.meeting.id}/polls").json() == []


def test_the_default_threshold_is_a_majority(client: TestClient, room: Room) -> None:
    login(client, room.chair)
    response = create(client, room, threshold=None, kind="multiple", options=["A", "B", "C"])
    assert response.status_code == 201, response.text
    params = board_of(client, response.json()["id"])["entries"][0]["body"]
    assert params["threshold"] == 2
    assert params["weights"] == [1, 1, 1, 4]
    assert [t["index"] for t in params["trustees"]] == [1, 2, 3]


def test_an_encrypted_draft_cannot_be_changed(client: TestClient, room: Room) -> None:
    poll_id = drafted(client, room)
    response = client.patch(f"/api/polls/{poll_id}", json={"title": "Khác"})
    assert_error(response, 409, "PollStateError")


def test_only_each_trustee_posts_their_own_entries(client: TestClient, room: Room) -> None:
    poll_id = drafted(client, room)
    committee = Committee.of(3)
    login(client, room.delegates[4])  # not a trustee: the draft is not theirs to see
    assert_error(client.get(f"/api/polls/{poll_id}/board"), 404)
    login(client, room.delegates[0])
    body = committee.devices[1].body("trustee", board_of(client, poll_id))
    assert_error(post_entry(client, poll_id, "trustee", body), 403, "NotTrusteeError")
    assert kinds(client, poll_id) == ["parameters"]


def test_a_bad_proof_or_a_repeated_entry_is_refused(client: TestClient, room: Room) -> None:
    poll_id = drafted(client, room)
    committee = Committee.of(3)
    login(client, room.delegates[0])
    body = committee.devices[0].body("trustee", board_of(client, poll_id))
    forged = {**body, "transport_proof": body["coefficient_proof"]}
    refused = assert_error(post_entry(client, poll_id, "trustee", forged), 422)
    assert refused["error"] == "InvalidBoardEntryError"
    assert "transport_proof" in refused["detail"]
    assert_error(post_entry(client, poll_id, "trustee", {**body, "x": 1}), 422)
    assert_error(post_entry(client, poll_id, "trustee", {**body, "trustee": 1.0}), 422)
    assert_error(post_entry(client, poll_id, "ballot", body), 422)
    assert post_entry(client, poll_id, "trustee", body).status_code == 201
    again = post_entry(client, poll_id, "trustee", body)
    assert_error(again, 409, "BoardEntryRefusedError")
    # Shares before every trustee has posted: not this phase.
    early = trustee_posts(client, room, poll_id, committee, "shares", 1)
    assert_error(early, 409, "BoardEntryRefusedError")
    assert kinds(client, poll_id) == ["parameters", "trustee"]


def test_a_complaint_abandons_the_setup(client: TestClient, room: Room) -> None:
    poll_id = drafted(client, room)
    committee = Committee.of(3)
    for kind in ("trustee", "shares"):
        for device in committee.devices:
            response = trustee_posts(client, room, poll_id, committee, kind, device.index)
            assert response.status_code == 201, response.text
    login(client, room.delegates[1])
    complaint = {"trustee": 2, "dealer": 1, "reason": "feldman"}
    bad = assert_error(
        post_entry(client, poll_id, "share-complaint", {**complaint, "dealer": 2}), 422
    )
    assert bad["error"] == "InvalidBoardEntryError"
    response = post_entry(client, poll_id, "share-complaint", complaint)
    assert [e["kind"] for e in response.json()] == ["share-complaint", "abandoned"]
    late = trustee_posts(client, room, poll_id, committee, "confirm", 1)
    assert_error(late, 409, "BoardEntryRefusedError")
    login(client, room.chair)
    assert_error(client.post(f"/api/polls/{poll_id}/open"), 409, "BoardNotReadyError")


def test_cancelling_during_setup_ends_the_board(client: TestClient, room: Room) -> None:
    poll_id = drafted(client, room)
    committee = Committee.of(3)
    assert trustee_posts(client, room, poll_id, committee, "trustee", 1).status_code == 201
    login(client, room.chair)
    assert client.post(f"/api/polls/{poll_id}/cancel").status_code == 200
    document = board_of(client, poll_id)
    assert document["entries"][-1]["body"] == {"reason": "cancelled"}
    assert verify_board(document).stage == "abandoned"
    late = trustee_posts(client, room, poll_id, committee, "trustee", 2)
    assert_error(late, 409, "BoardEntryRefusedError")


def test_casting_before_ready_or_before_opening_is_409(client: TestClient, room: Room) -> None:
    poll_id = drafted(client, room)
    ballot: dict[str, Any] = {"ciphertexts": [], "proofs": [], "sum_proof": [], "tracking_code": ""}
    # A draft is the chair's to see (a delegate gets 404, as for any draft).
    login(client, room.delegates[3])
    assert_error(cast(client, poll_id, ballot), 404, "PollNotFoundError")
    login(client, room.chair)
    assert_error(cast(client, poll_id, ballot), 409, "BoardNotReadyError")
    set_up(client, room, poll_id)
    login(client, room.chair)
    ballot = tablet(board_of(client, poll_id), ["yes"])["ballot"]
    assert_error(cast(client, poll_id, ballot), 409, "PollNotOpenError")


def test_a_partial_before_close_or_with_a_bad_proof_is_refused(
    client: TestClient, room: Room
) -> None:
    poll_id, committee = ready_poll(client, room)
    login(client, room.delegates[3])
    ballot = tablet(board_of(client, poll_id), ["yes"])["ballot"]
    assert cast(client, poll_id, ballot).status_code == 200
    login(client, room.delegates[0])
    fake = {"trustee": 1, "decryptions": []}
    assert_error(post_entry(client, poll_id, "partial", fake), 409, "BoardEntryRefusedError")
    login(client, room.chair)
    client.post(f"/api/polls/{poll_id}/close")
    login(client, room.delegates[0])
    partial = committee.devices[0].body("partial", board_of(client, poll_id))
    swapped = [{**item, "d": partial["decryptions"][0]["d"]} for item in partial["decryptions"]]
    forged = {**partial, "decryptions": swapped}
    refused = assert_error(post_entry(client, poll_id, "partial", forged), 422)
    assert "decrypt_proof" in refused["detail"]
    assert kinds(client, poll_id)[-1] == "close"
    login(client, room.delegates[4])  # sees the closed poll, is no trustee
    assert_error(post_entry(client, poll_id, "partial", partial), 403, "NotTrusteeError")
    login(client, room.delegates[0])
    assert post_entry(client, poll_id, "partial", partial).status_code == 201


def test_a_revealed_ballot_cannot_be_cast(client: TestClient, room: Room) -> None:
    poll_id, _ = ready_poll(client, room)
    login(client, room.delegates[3])
    reveal = tablet(board_of(client, poll_id), ["no"])
    for _ in range(2):  # posting it again changes nothing
        response = client.post(f"/api/polls/{poll_id}/spoiled", json={"reveal": reveal})
        assert response.status_code == 204, response.text
    assert_error(cast(client, poll_id, reveal["ballot"]), 409, "TrackingCodeUsedError")
    lying = {**reveal, "choice": [1, 0, 0]}
    response = client.post(f"/api/polls/{poll_id}/spoiled", json={"reveal": lying})
    assert_error(response, 422, "InvalidEncryptedBallotError")
    login(client, room.chair)
    client.post(f"/api/polls/{poll_id}/close")
    spoiled = [e for e in board_of(client, poll_id)["entries"] if e["kind"] == "spoiled"]
    assert [e["body"] for e in spoiled] == [reveal]


def test_a_resend_after_a_restart_gets_the_same_ack(
    client: TestClient, room: Room, settings: Settings
) -> None:
    poll_id, _ = ready_poll(client, room)
    login(client, room.delegates[3])
    ballot = tablet(board_of(client, poll_id), ["yes"])["ballot"]
    key = nonce()
    first = cast(client, poll_id, ballot, key)
    assert first.status_code == 200, first.text
    restarted: FastAPI = create_app(settings)
    with TestClient(restarted) as again:
        login(again, room.delegates[3])
        assert cast(again, poll_id, ballot, key).json() == first.json()
        login(again, room.chair)
        assert again.post(f"/api/polls/{poll_id}/close").json()["ballots"] == 1
