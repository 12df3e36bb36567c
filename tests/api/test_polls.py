"""Polls through the JSON API: who may do what, clear refusals that change nothing,
acknowledgements, results and exports."""

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from tests.factories import Room, assert_error, check_out, login, make_user, nonce, seat
from voting import polls


def create(client: TestClient, room: Room, **fields: Any) -> Response:
    body = {"title": "Biểu quyết thông qua nghị quyết", **fields}
    return client.post(f"/api/meetings/{room.meeting.id}/polls", json=body)


def opened(client: TestClient, room: Room, **fields: Any) -> int:
    """A poll created and opened by the chair; the client stays logged in as the chair."""
    login(client, room.chair)
    response = create(client, room, **fields)
    assert response.status_code == 201, response.text
    poll_id: int = response.json()["id"]
    assert client.post(f"/api/polls/{poll_id}/open").status_code == 200
    return poll_id


def vote(client: TestClient, poll_id: int, **fields: Any) -> Response:
    return client.post(f"/api/polls/{poll_id}/ballots", json={"nonce": nonce(), **fields})


def test_the_chair_drafts_and_the_delegates_do_not_see_drafts(
    client: TestClient, room: Room
) -> None:
    login(client, room.chair)
    response = create(client, room, kind="single", options=["Lan", "Minh"])
    assert response.status_code == 201, response.text
    poll = response.json()
    assert poll["status"] == "draft"
    assert poll["options"][1] == {"id": "2", "label": "Minh"}
    login(client, room.delegates[0])
    assert client.get(f"/api/meetings/{room.meeting.id}/polls").json() == []
    assert_error(client.get(f"/api/polls/{poll['id']}"), 404, "PollNotFoundError")
    assert_error(create(client, room), 403)


def test_bad_poll_definitions_are_422_with_the_reason(client: TestClient, room: Room) -> None:
    login(client, room.clerk)
    body = assert_error(create(client, room, kind="single", options=["Only"]), 422)
    assert "at least two options" in body["detail"]
    assert_error(create(client, room, kind="lottery"), 422, field="kind")
    assert client.get(f"/api/meetings/{room.meeting.id}/polls").json() == []


def test_a_draft_is_edited_and_deleted(client: TestClient, room: Room) -> None:
    login(client, room.clerk)
    poll_id = create(client, room).json()["id"]
    changed = client.patch(f"/api/polls/{poll_id}", json={"title": "Bầu thư ký", "secret": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["secret"] is True
    assert client.delete(f"/api/polls/{poll_id}").status_code == 204
    assert_error(client.get(f"/api/polls/{poll_id}"), 404)


def test_opening_without_quorum_is_409_and_leaves_a_draft(client: TestClient, room: Room) -> None:
    check_out(room.session, room.meeting, *room.delegates)
    login(client, room.chair)
    poll_id = create(client, room, quorum_fraction="1/2").json()["id"]
    quorum = client.get(f"/api/polls/{poll_id}/quorum").json()
    assert quorum == {
        "members": 6,
        "present": 1,
        "required": 3,
        "met": False,
        "basis": "poll",
        "rule": "1/2",
    }
    body = assert_error(client.post(f"/api/polls/{poll_id}/open"), 409, "QuorumNotMetError")
    assert "1 of 6" in body["detail"]
    assert client.get(f"/api/polls/{poll_id}").json()["status"] == "draft"


def test_a_delegate_votes_and_a_resend_gets_the_same_answer(client: TestClient, room: Room) -> None:
    poll_id = opened(client, room)
    login(client, room.delegates[0])
    listed = client.get(f"/api/meetings/{room.meeting.id}/polls", params={"status": "open"})
    assert [p["id"] for p in listed.json()] == [poll_id]
    body = {"choice": "yes", "nonce": nonce()}
    first = client.post(f"/api/polls/{poll_id}/ballots", json=body)
    assert first.status_code == 200, first.text
    assert set(first.json()) >= {"poll_id", "nonce", "received_at"}
    assert first.json()["nonce"] == body["nonce"]
    again = client.post(f"/api/polls/{poll_id}/ballots", json=body)
    assert again.json() == first.json()
    mine = client.get(f"/api/polls/{poll_id}/my-ballot").json()
    assert mine["voted"] is True
    assert mine["choice"] == {"options": ["yes"], "abstain": False}
    progress = client.get(f"/api/polls/{poll_id}/progress").json()
    assert (progress["done"], progress["total"]) == (1, 6)


def test_refused_ballots_say_why_and_store_nothing(client: TestClient, room: Room) -> None:
    poll_id = opened(client, room)
    voter = room.delegates[0]
    login(client, voter)
    assert_error(vote(client, poll_id, choice="maybe"), 422, "InvalidBallotError", field="choice")
    assert_error(vote(client, poll_id, choice="yes", nonce="short"), 422, field="nonce")
    assert_error(
        client.post(f"/api/polls/{poll_id}/ballots", json={"choice": "yes"}), 422, field="nonce"
    )
    check_out(room.session, room.meeting, voter)
    body = assert_error(vote(client, poll_id, choice="yes"), 403, "NotCheckedInError")
    assert "Check in" in body["detail"]
    outsider = make_user(room.session)
    login(client, outsider)
    assert_error(vote(client, poll_id, choice="yes"), 404)
    login(client, voter)
    assert client.get(f"/api/polls/{poll_id}/my-ballot").json()["voted"] is False


def test_no_voting_right_is_403(client: TestClient, room: Room) -> None:
    guest = make_user(room.session)
    seat(room.session, room.meeting, guest, voting_right=False)
    room.present(guest)
    poll_id = opened(client, room)
    login(client, guest)
    assert_error(vote(client, poll_id, choice="yes"), 403, "NoVotingRightError")
    mine = client.get(f"/api/polls/{poll_id}/my-ballot").json()
    assert mine["eligible"] is False
    assert "voting right" in mine["reason"]


def test_a_poll_that_is_not_open_is_409(client: TestClient, room: Room) -> None:
    login(client, room.chair)
    draft_id = create(client, room).json()["id"]
    assert_error(vote(client, draft_id, choice="yes"), 409, "PollNotOpenError")
    poll_id = opened(client, room)
    client.post(f"/api/polls/{poll_id}/close")
    login(client, room.delegates[0])
    assert_error(vote(client, poll_id, choice="yes"), 409, "PollClosedError")


def test_delegates_cannot_run_polls(client: TestClient, room: Room) -> None:
    poll_id = opened(client, room)
    login(client, room.delegates[0])
    for step in ("open", "close", "publish", "cancel"):
        assert_error(client.post(f"/api/polls/{poll_id}/{step}"), 403)
    assert_error(client.get(f"/api/polls/{poll_id}/quorum"), 403)


def test_results_after_close_for_managers_after_publish_for_all(
    client: TestClient, room: Room
) -> None:
    poll_id = opened(client, room, majority_rule="absolute_members")
    for delegate in room.delegates[:4]:
        login(client, delegate)
        assert vote(client, poll_id, choice="yes").status_code == 200
    assert_error(client.get(f"/api/polls/{poll_id}/result"), 409, "ResultNotAvailableError")
    login(client, room.chair)
    closed = client.post(f"/api/polls/{poll_id}/close")
    assert closed.status_code == 200, closed.text
    result = closed.json()
    assert (result["verdict"], result["needed"], result["base"]) == ("adopted", 4, 6)
    assert client.post(f"/api/polls/{poll_id}/close").json() == result
    assert client.get(f"/api/polls/{poll_id}/result").json() == result
    login(client, room.delegates[0])
    assert_error(client.get(f"/api/polls/{poll_id}/result"), 409, "ResultNotAvailableError")
    login(client, room.chair)
    assert client.post(f"/api/polls/{poll_id}/publish").json() == result
    login(client, room.delegates[0])
    assert client.get(f"/api/polls/{poll_id}/result").json() == result


def test_result_exports(client: TestClient, room: Room) -> None:
    poll_id = opened(client, room, kind="opinion")
    login(client, room.delegates[0])
    vote(client, poll_id, text='=HYPERLINK("http://x") nên sửa điều 3')
    login(client, room.chair)
    client.post(f"/api/polls/{poll_id}/close")
    exported = client.get(f"/api/polls/{poll_id}/result.csv", params={"lang": "en"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["Poll", "Biểu quyết thông qua nghị quyết"]
    vietnamese = client.get(f"/api/polls/{poll_id}/result.csv").content.decode("utf-8-sig")
    assert vietnamese.splitlines()[0] == "Nội dung biểu quyết,Biểu quyết thông qua nghị quyết"
    assert "Đồng ý," in vietnamese
    answers = [row for row in rows if row and row[0] == room.delegates[0].full_name]
    assert answers[0][1].startswith("'=HYPERLINK")  # never a live formula
    pdf = client.get(f"/api/polls/{poll_id}/result.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_cancel_then_nothing_more(client: TestClient, room: Room) -> None:
    poll_id = opened(client, room)
    cancelled = client.post(f"/api/polls/{poll_id}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert_error(client.post(f"/api/polls/{poll_id}/close"), 409, "PollStateError")
    assert_error(client.get(f"/api/polls/{poll_id}/result"), 409)


def test_the_secretariat_records_proxies(client: TestClient, room: Room) -> None:
    url = f"/api/meetings/{room.meeting.id}/proxies"
    body = {"holder_id": room.delegates[0].id, "represented_id": room.delegates[1].id}
    login(client, room.delegates[0])
    assert_error(client.post(url, json=body), 403)
    login(client, room.clerk)
    created = client.post(url, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["represented_name"] == room.delegates[1].full_name
    assert_error(client.post(url, json=body), 409, "ProxyConflictError")
    assert_error(
        client.post(url, json={"holder_id": room.delegates[2].id, "represented_id": 10**6}),
        422,
        field="represented_id",
    )
    assert len(client.get(url).json()) == 1
    proxy_id = created.json()["id"]
    assert client.delete(f"{url}/{proxy_id}").status_code == 204
    assert client.get(url).json() == []


def test_a_proxy_ballot_over_the_api(client: TestClient, room: Room) -> None:
    holder, absent = room.delegates[0], room.delegates[1]
    check_out(room.session, room.meeting, absent)
    login(client, room.clerk)
    client.post(
        f"/api/meetings/{room.meeting.id}/proxies",
        json={"holder_id": holder.id, "represented_id": absent.id},
    )
    poll_id = opened(client, room, secret=True)
    login(client, holder)
    own = vote(client, poll_id, choice="yes").json()
    proxied = vote(client, poll_id, choice="no", on_behalf_of=absent.id).json()
    assert proxied["on_behalf_of"] == absent.id
    assert own["receipt"] != proxied["receipt"]
    mine = client.get(f"/api/polls/{poll_id}/my-ballot", params={"on_behalf_of": absent.id})
    assert mine.json()["voted"] is True
    assert mine.json()["choice"] is None
    assert polls.get_poll(session=room.session, poll_id=poll_id, viewer=room.clerk).secret


def test_an_open_poll_can_no_longer_be_edited_or_deleted(client: TestClient, room: Room) -> None:
    poll_id = opened(client, room)
    assert_error(client.patch(f"/api/polls/{poll_id}", json={"title": "Khác"}), 409)
    assert_error(client.delete(f"/api/polls/{poll_id}"), 409, "PollStateError")
    assert client.get(f"/api/polls/{poll_id}").json()["title"] == "Biểu quyết thông qua nghị quyết"
