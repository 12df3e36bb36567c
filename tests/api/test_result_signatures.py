"""Signed poll results over the API: the key at a well-known path for anyone, the signed result
for whoever may read the result, verifiable offline and holding every receipt."""

from fastapi.testclient import TestClient

from records.result_signing import key_id, receipt_in, result_key, verify_signed_result
from tests.api.test_polls import opened, vote
from tests.factories import Room, assert_error, login, make_user
from web.settings import Settings


def signed_url(poll_id: int) -> str:
    return f"/api/polls/{poll_id}/result.signed.json"


def test_the_key_is_served_at_a_well_known_path_without_login(
    client: TestClient, settings: Settings
) -> None:
    client.cookies.clear()
    pem = client.get("/.well-known/hop-result-key.pem")
    assert pem.status_code == 200, pem.text
    assert pem.headers["content-type"].startswith("text/plain")
    assert pem.text.startswith("-----BEGIN PUBLIC KEY-----")
    described = client.get("/.well-known/hop-result-key").json()
    own = result_key(settings.resolved_secret_key).public_key()
    assert described == {
        "key_id": key_id(own),
        "algorithm": "Ed25519",
        "public_key_pem": pem.text,
    }


def test_a_closed_secret_polls_signed_result_verifies_and_holds_the_receipts(
    client: TestClient, room: Room
) -> None:
    poll_id = opened(client, room, secret=True)
    receipts = {}
    for delegate, choice in zip(room.delegates[:3], ["yes", "yes", "no"], strict=True):
        login(client, delegate)
        receipts[vote(client, poll_id, choice=choice).json()["receipt"]] = choice
    login(client, room.chair)
    result = client.post(f"/api/polls/{poll_id}/close").json()
    response = client.get(signed_url(poll_id))
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    document = response.json()
    assert document["result"] == result
    assert document["poll"]["meeting_title"] == room.meeting.title
    key = client.get("/.well-known/hop-result-key.pem").content
    assert verify_signed_result(document, key)
    assert {line["receipt"] for line in document["result"]["receipts"]} == set(receipts)
    for receipt, choice in receipts.items():
        assert receipt_in(document, receipt) == ("Yes" if choice == "yes" else "No")
    document["result"]["receipts"][0]["answer"] = "Maybe"
    assert not verify_signed_result(document, key)


def test_a_voter_finds_their_receipt_once_published(client: TestClient, room: Room) -> None:
    poll_id = opened(client, room, secret=True)
    voter = room.delegates[0]
    login(client, voter)
    receipt = vote(client, poll_id, choice="no").json()["receipt"]
    assert_error(client.get(signed_url(poll_id)), 409, "ResultNotAvailableError")
    login(client, room.chair)
    client.post(f"/api/polls/{poll_id}/close")
    login(client, voter)
    # Closed but not published: refused to a delegate exactly as the result itself is.
    assert_error(client.get(f"/api/polls/{poll_id}/result"), 409, "ResultNotAvailableError")
    assert_error(client.get(signed_url(poll_id)), 409, "ResultNotAvailableError")
    login(client, room.chair)
    client.post(f"/api/polls/{poll_id}/publish")
    login(client, voter)
    document = client.get(signed_url(poll_id)).json()
    assert verify_signed_result(document, client.get("/.well-known/hop-result-key.pem").content)
    assert receipt_in(document, receipt) == "No"


def test_an_open_poll_has_no_signed_result(client: TestClient, room: Room) -> None:
    poll_id = opened(client, room, secret=True)
    assert_error(client.get(signed_url(poll_id)), 409, "ResultNotAvailableError")


def test_someone_outside_the_meeting_is_refused_like_for_the_result(
    client: TestClient, room: Room
) -> None:
    poll_id = opened(client, room)
    client.post(f"/api/polls/{poll_id}/close")
    client.post(f"/api/polls/{poll_id}/publish")
    login(client, make_user(room.session))
    assert_error(client.get(f"/api/polls/{poll_id}/result"), 404, "PollNotFoundError")
    assert_error(client.get(signed_url(poll_id)), 404, "PollNotFoundError")
    client.cookies.clear()
    assert client.get(signed_url(poll_id)).status_code == 401
