"""Unlinkability of secret ballots: after a secret poll closes, no table row, event or log
record holds a voter next to a choice or a receipt."""

import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import DateTime, Integer, Table, text
from sqlmodel import Session, SQLModel, select

from models import Event, Person, SecretChoice
from tests.factories import Room, login, nonce
from voting.secrecy import nonce_hash

IDENTITY_KEYS = {"voter_id", "person_id", "cast_by_id", "full_name", "username"}


@pytest.fixture
def secret_poll(client: TestClient, room: Room, caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """A secret opinion poll with agree/disagree, cast over the API and the websocket, closed
    and published; with what each voter alone knows: their nonce, receipt and text."""
    caplog.set_level(logging.DEBUG)
    login(client, room.chair)
    poll = client.post(
        f"/api/meetings/{room.meeting.id}/polls",
        json={"title": "Góp ý dự thảo", "kind": "opinion", "opinion_agree": True, "secret": True},
    ).json()
    client.post(f"/api/polls/{poll['id']}/open")
    secrets: dict[int, dict[str, str]] = {}
    for n, voter in enumerate(room.delegates):
        login(client, voter)
        body = {"text": f"ý-kiến-{nonce()}", "agree": n % 2 == 0, "nonce": nonce()}
        if n % 2:
            ack = client.post(f"/api/polls/{poll['id']}/ballots", json=body).json()
        else:
            ack = _cast_over_socket(client, room, poll["id"], body)
        secrets[voter.id or 0] = {"nonce": body["nonce"], "text": body["text"], **ack}
    before = set(room.session.exec(select(SecretChoice.id)).all())
    login(client, room.chair)
    assert client.post(f"/api/polls/{poll['id']}/close").status_code == 200
    assert client.post(f"/api/polls/{poll['id']}/publish").status_code == 200
    return {"poll": poll, "secrets": secrets, "ids_before_close": before}


def _cast_over_socket(
    client: TestClient, room: Room, poll_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    url = f"/ws/meetings/{room.meeting.id}"
    with client.websocket_connect(url, headers={"origin": "http://testserver"}) as ws:
        ws.send_json({"type": "ballot", "poll_id": poll_id, **body})
        for _ in range(50):
            message: dict[str, Any] = ws.receive_json()
            if message["type"] == "ballot.ack":
                return {key: value for key, value in message.items() if key != "type"}
    raise AssertionError("no acknowledgement")


def voter_markers(session: Session, room: Room, case: dict[str, Any]) -> list[str]:
    """Strings that identify a voter: names, usernames, nonces and their stored hashes."""
    markers = []
    salt = session.exec(text("SELECT salt FROM poll")).one()[0]  # type: ignore[call-overload]
    for voter_id, known in case["secrets"].items():
        person = session.get(Person, voter_id)
        assert person is not None
        markers += [person.full_name, person.username, known["nonce"]]
        markers.append(nonce_hash(salt=salt, voter_id=voter_id, nonce=known["nonce"]))
    return markers


def secret_markers(case: dict[str, Any]) -> list[str]:
    """Strings that identify a choice: each receipt and each (unique) opinion text."""
    return [
        value for known in case["secrets"].values() for value in (known["receipt"], known["text"])
    ]


def identity_values(value: Any) -> list[Any]:
    """Values under identity keys anywhere in a JSON document."""
    if isinstance(value, dict):
        found = [value[key] for key in IDENTITY_KEYS & set(value)]
        return found + [v for item in value.values() for v in identity_values(item)]
    if isinstance(value, list):
        return [v for item in value for v in identity_values(item)]
    return []


def person_columns(table: Table) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "person"]


def test_no_row_links_a_voter_to_a_choice(
    session: Session, room: Room, secret_poll: dict[str, Any]
) -> None:
    voters = set(secret_poll["secrets"])
    people = voter_markers(session, room, secret_poll)
    choices = secret_markers(secret_poll)
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(table.select()).mappings():
            dump = json.dumps(dict(row), default=str, ensure_ascii=False)
            for raw_nonce in (known["nonce"] for known in secret_poll["secrets"].values()):
                assert raw_nonce not in dump, f"a raw nonce is stored in {table.name}"
            if not any(marker in dump for marker in choices):
                continue
            assert not any(marker in dump for marker in people), f"{table.name}: {dump}"
            assert not {row[name] for name in person_columns(table)} & voters, table.name
            for value in row.values():
                if isinstance(value, dict | list):
                    assert not identity_values(value), f"{table.name}: {dump}"


def test_the_choice_table_has_nothing_to_link_with(
    session: Session, secret_poll: dict[str, Any]
) -> None:
    choice_table = SQLModel.metadata.tables["secret_choice"]
    voter_table = SQLModel.metadata.tables["secret_voter"]
    assert person_columns(choice_table) == []
    assert not any(isinstance(column.type, DateTime) for column in choice_table.columns)
    assert not any(isinstance(column.type, Integer) for column in choice_table.primary_key)
    assert not {fk.column.table.name for fk in choice_table.foreign_keys} & {"secret_voter"}
    assert set(choice_table.columns.keys()) & set(voter_table.columns.keys()) == {"id", "poll_id"}
    # Closing rewrote every choice with a new key.
    after = set(session.exec(select(SecretChoice.id)).all())
    assert len(after) == len(secret_poll["secrets"])
    assert not after & secret_poll["ids_before_close"]


def test_postgres_rows_keep_no_trace_of_their_cast(
    session: Session, secret_poll: dict[str, Any]
) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("transaction ids are a PostgreSQL matter")
    choice_xmins = set(session.exec(text("SELECT xmin::text FROM secret_choice")).all())  # type: ignore[call-overload]
    voter_xmins = set(session.exec(text("SELECT xmin::text FROM secret_voter")).all())  # type: ignore[call-overload]
    assert len(choice_xmins) == 1  # all written by the closing transaction
    assert not choice_xmins & voter_xmins


def test_no_event_links_a_voter_to_a_choice(
    session: Session, room: Room, secret_poll: dict[str, Any]
) -> None:
    events = session.exec(select(Event).where(Event.meeting_id == room.meeting.id)).all()
    ballots = [event for event in events if event.type == "poll.ballot"]
    assert len(ballots) == len(secret_poll["secrets"])
    assert all(event.data == {"poll_id": secret_poll["poll"]["id"]} for event in ballots)
    published = next(event for event in events if event.type == "poll.published")
    assert not identity_values(published.data)
    assert "receipts" not in published.data["result"]  # the lines are read over HTTP
    assert published.data["result"]["ballots"] == len(secret_poll["secrets"])


def test_no_log_record_links_a_voter_to_a_choice(
    room: Room, session: Session, secret_poll: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    people = voter_markers(session, room, secret_poll)
    choices = secret_markers(secret_poll)
    records = caplog.get_records("setup")  # the poll ran in the fixture
    assert records  # the capture was on
    for record in records:
        message = record.getMessage()
        if any(marker in message for marker in choices):
            assert not any(marker in message for marker in people), message


def test_responses_after_publication_name_no_voter(
    client: TestClient, room: Room, secret_poll: dict[str, Any]
) -> None:
    poll_id = secret_poll["poll"]["id"]
    login(client, room.delegates[0])
    result = client.get(f"/api/polls/{poll_id}/result").json()
    assert not identity_values(result)
    assert "voters" not in result
    assert len(result["opinions"]) == len(secret_poll["secrets"])
    mine = client.get(f"/api/polls/{poll_id}/my-ballot").json()
    assert mine["voted"] is True
    assert mine["choice"] is None
    csv_text = client.get(f"/api/polls/{poll_id}/result.csv").content.decode("utf-8-sig")
    assert room.delegates[0].full_name not in csv_text
