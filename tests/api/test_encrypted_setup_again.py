"""Setting an encrypted poll up again after a failed key setup (spec §6.1, §7.4): a new draft
with the same question, committee and threshold and `attempt` + 1, the failed draft cancelled
with its board kept; refused when the setup did not fail, for a poll that is no draft, and for
someone who does not manage the poll."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from cli.eb_verify.board import verify_board as independent_verify
from models import AuditEntry, Poll
from tests.api.test_encrypted_polls import (
    board_of,
    drafted,
    post_entry,
    ready_poll,
    set_up,
    trustee_posts,
)
from tests.factories import Room, assert_error, login
from voting.encrypted.devices import Committee


def failed_setup(client: TestClient, room: Room, **fields: Any) -> int:
    """A draft whose setup ended with a complaint from trustee 2 about trustee 1's share."""
    poll_id = drafted(client, room, **fields)
    committee = Committee.of(3)
    for kind in ("trustee", "shares"):
        for device in committee.devices:
            response = trustee_posts(client, room, poll_id, committee, kind, device.index)
            assert response.status_code == 201, response.text
    login(client, room.delegates[1])
    complaint = {"trustee": 2, "dealer": 1, "reason": "feldman"}
    response = post_entry(client, poll_id, "share-complaint", complaint)
    assert [e["kind"] for e in response.json()] == ["share-complaint", "abandoned"]
    return poll_id


def again(client: TestClient, poll_id: int) -> Any:
    return client.post(f"/api/polls/{poll_id}/set-up-again")


def test_a_failed_setup_is_set_up_again_as_a_new_poll(
    client: TestClient, room: Room, session: Session
) -> None:
    fields = {"kind": "single", "options": ["Anh A", "Chị B"], "majority_rule": "absolute_present"}
    old_id = failed_setup(client, room, **fields)
    login(client, room.chair)
    old_board = board_of(client, old_id)
    response = again(client, old_id)
    assert response.status_code == 201, response.text
    new = response.json()
    assert new["id"] != old_id
    assert (new["status"], new["encrypted"], new["secret"]) == ("draft", True, True)
    old = client.get(f"/api/polls/{old_id}").json()
    assert old["status"] == "cancelled"
    for key in ("title", "kind", "options", "majority_rule", "min_choices", "max_choices"):
        assert new[key] == old[key], key

    # The old board stays as it ended; the new one is attempt 2 with the same committee.
    assert board_of(client, old_id)["entries"] == old_board["entries"]
    before = old_board["entries"][0]["body"]
    params = board_of(client, new["id"])["entries"][0]["body"]
    assert params["attempt"] == before["attempt"] + 1 == 2
    assert params["poll_id"] == new["id"]
    assert params["board_nonce"] != before["board_nonce"]
    for key in ("trustees", "threshold", "options", "slots", "weights", "majority_rule"):
        assert params[key] == before[key], key
    assert independent_verify(board_of(client, old_id)).stage == "setup abandoned (complaint)"

    # Nothing of the old attempt is reused: the committee sets up afresh, the board verifies.
    set_up(client, room, new["id"])
    login(client, room.chair)
    report = independent_verify(board_of(client, new["id"]))
    assert report.valid, report.failure
    assert report.stage == "ready: keys set up, voting may be open"
    assert client.post(f"/api/polls/{new['id']}/open").status_code == 200

    entries = session.exec(
        select(AuditEntry).where(AuditEntry.target_id == old_id).order_by(col(AuditEntry.id))
    ).all()
    actions = [entry.action for entry in entries]
    assert actions[-2:] == ["poll.set_up_again", "poll.cancelled"]
    detail = entries[-2].detail
    assert (detail["new_poll_id"], detail["attempt"]) == (new["id"], 2)
    assert entries[-2].actor_id == room.chair.id
    assert session.get(Poll, new["id"]) is not None


def test_the_trustee_page_of_the_old_poll_points_to_the_new_one(
    client: TestClient, room: Room
) -> None:
    old_id = failed_setup(client, room)
    login(client, room.chair)
    new_id = again(client, old_id).json()["id"]
    login(client, room.delegates[0])
    page = client.get(f"/polls/{old_id}/trustee")
    assert page.status_code == 200
    assert f'href="/polls/{new_id}/trustee"' in page.text
    room_page = client.get(f"/room/{room.meeting.id}")
    assert f"/polls/{new_id}/trustee" in room_page.text
    assert f"/polls/{old_id}/trustee" not in room_page.text


def test_only_a_failed_draft_is_set_up_again(client: TestClient, room: Room) -> None:
    poll_id = drafted(client, room)
    body = assert_error(again(client, poll_id), 409, "PollStateError")
    assert "not failed" in body["detail"]
    ready_id, _ = ready_poll(client, room)
    assert_error(again(client, ready_id), 409, "PollStateError")
    failed = failed_setup(client, room)
    login(client, room.chair)
    assert again(client, failed).status_code == 201
    # Twice: the failed draft is cancelled now, no longer a draft.
    body = assert_error(again(client, failed), 409, "PollStateError")
    assert "cancelled" in body["detail"]
    polls = client.get(f"/api/meetings/{room.meeting.id}/polls").json()
    assert len([p for p in polls if p["status"] == "draft"]) == 2  # the first draft and the new


def test_a_delegate_cannot_set_a_poll_up_again(client: TestClient, room: Room) -> None:
    poll_id = failed_setup(client, room)
    login(client, room.delegates[0])  # a trustee, who sees the board but does not manage it
    assert_error(again(client, poll_id), 403, "NotAllowedError")
    login(client, room.delegates[4])  # not even a trustee: the draft is not theirs to see
    assert_error(again(client, poll_id), 404)
    login(client, room.chair)
    assert client.get(f"/api/polls/{poll_id}").json()["status"] == "draft"
    plain = room.poll()
    assert_error(again(client, plain.id or 0), 409, "NotEncryptedPollError")


def test_the_clerk_may_set_up_again_too(client: TestClient, room: Room) -> None:
    poll_id = failed_setup(client, room)
    login(client, room.clerk)
    assert again(client, poll_id).status_code == 201
