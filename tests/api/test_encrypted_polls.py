"""Encrypted secret polls through the JSON API: a whole poll with three trustees (2 of 3)
played by the Python library, five tablets, close, two partials and the result; the board
passes both verifiers."""

from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from cli.eb_verify.board import verify_board as independent_verify
from models import Person
from tests.api.test_polls import vote
from tests.factories import Room, assert_error, check_out, login, nonce
from voting.encrypted.audit import verify_board
from voting.encrypted.devices import SETUP_PHASES, Committee, tablet

ANSWERS: list[tuple[list[str], bool]] = [
    (["yes"], False),
    (["yes"], False),
    (["no"], False),
    ([], True),
    (["yes"], False),
]


def create(client: TestClient, room: Room, **fields: Any) -> Response:
    trustees = [person.id for person in room.delegates[:3]]
    body = {"title": "Bầu Chủ tịch HĐND", "trustees": trustees, "threshold": 2, **fields}
    return client.post(f"/api/meetings/{room.meeting.id}/encrypted-polls", json=body)


def drafted(client: TestClient, room: Room, **fields: Any) -> int:
    login(client, room.chair)
    response = create(client, room, **fields)
    assert response.status_code == 201, response.text
    poll_id: int = response.json()["id"]
    return poll_id


def board_of(client: TestClient, poll_id: int) -> dict[str, Any]:
    response = client.get(f"/api/polls/{poll_id}/board")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def post_entry(client: TestClient, poll_id: int, kind: str, body: Any) -> Response:
    return client.post(f"/api/polls/{poll_id}/trustee-entries", json={"kind": kind, "body": body})


def trustee_posts(
    client: TestClient, room: Room, poll_id: int, committee: Committee, kind: str, index: int
) -> Response:
    """Trustee `index` logs in, reads the board and posts its entry of that kind."""
    login(client, room.delegates[index - 1])
    body = committee.devices[index - 1].body(kind, board_of(client, poll_id))
    return post_entry(client, poll_id, kind, body)


def set_up(client: TestClient, room: Room, poll_id: int) -> Committee:
    committee = Committee.of(3)
    for kind in SETUP_PHASES:
        for device in committee.devices:
            response = trustee_posts(client, room, poll_id, committee, kind, device.index)
            assert response.status_code == 201, response.text
    return committee


def ready_poll(client: TestClient, room: Room, **fields: Any) -> tuple[int, Committee]:
    """Drafted, set up by its three trustees, and opened by the chair."""
    poll_id = drafted(client, room, **fields)
    committee = set_up(client, room, poll_id)
    login(client, room.chair)
    opened = client.post(f"/api/polls/{poll_id}/open")
    assert opened.status_code == 200, opened.text
    return poll_id, committee


def cast(
    client: TestClient, poll_id: int, ballot: dict[str, Any], key: str | None = None, **extra: Any
) -> Response:
    body = {"ballot": ballot, "nonce": key or nonce(), **extra}
    return client.post(f"/api/polls/{poll_id}/encrypted-ballots", json=body)


def vote_as(
    client: TestClient, poll_id: int, voter: Person, options: list[str], abstain: bool
) -> dict[str, Any]:
    login(client, voter)
    reveal = tablet(board_of(client, poll_id), options, abstain=abstain)
    response = cast(client, poll_id, reveal["ballot"])
    assert response.status_code == 200, response.text
    ack: dict[str, Any] = response.json()
    assert ack["tracking_code"] == reveal["ballot"]["tracking_code"]
    return ack


def test_a_whole_encrypted_poll_through_the_api(client: TestClient, room: Room) -> None:
    poll_id = drafted(client, room)
    poll = client.get(f"/api/polls/{poll_id}").json()
    assert poll["encrypted"] is True
    assert poll["secret"] is True
    body = assert_error(client.post(f"/api/polls/{poll_id}/open"), 409, "BoardNotReadyError")
    assert "committee" in body["detail"]
    committee = set_up(client, room, poll_id)
    assert [e["kind"] for e in board_of(client, poll_id)["entries"]][-1] == "ready"
    login(client, room.chair)
    assert client.post(f"/api/polls/{poll_id}/open").status_code == 200

    # One voter checks their tablet's encryption first (Benaloh), then votes.
    login(client, room.delegates[0])
    spoiled = tablet(board_of(client, poll_id), ["no"])
    assert client.post(f"/api/polls/{poll_id}/spoiled", json={"reveal": spoiled}).status_code == 204
    acks = [
        vote_as(client, poll_id, voter, options, abstain)
        for voter, (options, abstain) in zip(room.delegates, ANSWERS, strict=True)
    ]
    progress = client.get(f"/api/polls/{poll_id}/progress").json()
    assert progress["done"] == 5
    assert client.get(f"/api/polls/{poll_id}/my-ballot").json()["voted"] is True

    login(client, room.chair)
    closed = client.post(f"/api/polls/{poll_id}/close")
    assert closed.status_code == 200, closed.text
    assert closed.json() == {
        "poll_id": poll_id,
        "status": "closed",
        "encrypted": True,
        "ballots": 5,
        "decrypted": False,
    }
    assert_error(client.get(f"/api/polls/{poll_id}/result"), 409, "ResultNotAvailableError")
    assert_error(client.post(f"/api/polls/{poll_id}/publish"), 409, "ResultNotAvailableError")
    first = trustee_posts(client, room, poll_id, committee, "partial", 3)
    assert first.status_code == 201, first.text
    second = trustee_posts(client, room, poll_id, committee, "partial", 1)
    assert [e["kind"] for e in second.json()] == ["partial", "result"]
    late = trustee_posts(client, room, poll_id, committee, "partial", 2)
    assert_error(late, 409, "BoardEntryRefusedError")

    login(client, room.chair)
    result = client.get(f"/api/polls/{poll_id}/result").json()
    assert [o["votes"] for o in result["options"]] == [3, 1]
    assert result["abstentions"] == 1
    assert result["verdict"] == "adopted"
    assert result["ballots"] == 5
    assert result["decrypted_by"] == [1, 3]
    assert result["receipts"] == []
    assert client.get(f"/api/polls/{poll_id}/result.csv").status_code == 200
    assert client.post(f"/api/polls/{poll_id}/publish").status_code == 200

    board = board_of(client, poll_id)
    codes = sorted(ack["tracking_code"] for ack in acks)
    assert [e["body"]["tracking_code"] for e in board["entries"] if e["kind"] == "ballot"] == codes
    close = next(e for e in board["entries"] if e["kind"] == "close")
    assert close["body"]["voters"] == sorted(p.id or 0 for p in room.delegates)
    report = independent_verify(board)
    assert report.valid, report.failure
    assert report.stage == "result posted"
    summary = verify_board(board)
    assert summary.counts == [3, 1, 1]
    assert summary.tracking_codes == codes
    response = client.get(f"/api/polls/{poll_id}/board")
    assert f'filename="poll-{poll_id}-board.json"' in response.headers["content-disposition"]


def test_a_resend_gets_the_same_ack_and_a_second_ballot_is_refused(
    client: TestClient, room: Room
) -> None:
    poll_id, _ = ready_poll(client, room)
    voter = room.delegates[3]
    login(client, voter)
    board = board_of(client, poll_id)
    ballot = tablet(board, ["yes"])["ballot"]
    key = nonce()
    first = cast(client, poll_id, ballot, key)
    assert first.status_code == 200, first.text
    again = cast(client, poll_id, ballot, key)
    assert again.json() == first.json()
    other = tablet(board, ["no"])["ballot"]
    assert_error(cast(client, poll_id, other), 409, "AlreadyVotedError")
    # The same ballot from someone else: its tracking code is taken.
    login(client, room.delegates[4])
    assert_error(cast(client, poll_id, ballot), 409, "TrackingCodeUsedError")
    login(client, room.chair)
    assert client.post(f"/api/polls/{poll_id}/close").json()["ballots"] == 1


def test_bad_ballots_are_refused_and_nothing_is_stored(client: TestClient, room: Room) -> None:
    poll_id, _ = ready_poll(client, room)
    login(client, room.delegates[3])
    ballot = tablet(board_of(client, poll_id), ["yes"])["ballot"]
    # A proof's challenge from another proof: the sum proof no longer holds.
    tampered = {
        **ballot,
        "sum_proof": [{**ballot["sum_proof"][0], "c": ballot["proofs"][0][0]["c"]}],
    }
    body = assert_error(cast(client, poll_id, tampered), 422, "InvalidEncryptedBallotError")
    assert "sum_proof" in body["detail"]
    assert_error(cast(client, poll_id, {**ballot, "extra": 1}), 422)
    assert_error(cast(client, poll_id, {"ciphertexts": 1.5}), 422)
    # A plain choice never reaches an encrypted poll.
    assert_error(vote(client, poll_id, choice="yes"), 422, "InvalidBallotError")
    assert client.get(f"/api/polls/{poll_id}/my-ballot").json()["voted"] is False


def test_an_absent_delegate_cannot_cast(client: TestClient, room: Room) -> None:
    poll_id, _ = ready_poll(client, room)
    absent = room.delegates[4]
    check_out(room.session, room.meeting, absent)
    login(client, absent)
    ballot = tablet(board_of(client, poll_id), ["no"])["ballot"]
    assert_error(cast(client, poll_id, ballot), 403, "NotCheckedInError")
    login(client, room.chair)
    assert client.post(f"/api/polls/{poll_id}/close").json()["ballots"] == 0
