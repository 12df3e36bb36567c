"""Each audited action writes its entry, with who did it, in the action's transaction; a secret
poll's entries hold no choice and casting writes none."""

import json

import numpy as np
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from checkin import gallery
from checkin.crypto import FaceCipher
from checkin.engine import EMBEDDING_SIZE, Box, EnrolmentFace
from cli.main import app as hop
from core import audit
from models import AuditEntry, Role
from tests.factories import (
    PASSWORD,
    invite,
    login,
    make_document,
    make_meeting,
    make_room,
    make_user,
)
from voting import polls
from web.settings import Settings


def entries(session: Session, prefix: str = "") -> list[AuditEntry]:
    query = select(AuditEntry).where(col(AuditEntry.action).startswith(prefix))
    return list(session.exec(query.order_by(col(AuditEntry.id))))


def only(session: Session, action: str) -> AuditEntry:
    found = [entry for entry in entries(session) if entry.action == action]
    assert len(found) == 1, [entry.action for entry in entries(session)]
    return found[0]


def fake_face() -> EnrolmentFace:
    # A random unit vector: the gallery stores whatever embedding it is given.
    vector = np.random.default_rng(7).normal(size=EMBEDDING_SIZE).astype(np.float32)
    box = Box(top=10, right=210, bottom=210, left=10)
    return EnrolmentFace(vector / np.linalg.norm(vector), box, 120.0, 640, 480)


def test_login_success_and_failure(client: TestClient, session: Session) -> None:
    person = make_user(session, username="chutri")
    answer = client.post("/api/login", json={"username": "chutri", "password": "wrong-one"})
    assert answer.status_code == 401
    failed = only(session, "auth.login_failed")
    assert (failed.actor_id, failed.actor, failed.detail) == (None, "", {"username": "chutri"})
    assert failed.address == "testclient"
    assert "wrong-one" not in json.dumps(failed.model_dump(mode="json"))
    login(client, person)
    ok = only(session, "auth.login")
    assert (ok.actor_id, ok.actor, ok.target_id) == (person.id, "chutri", person.id)
    assert audit.verify(session) is None


def test_login_page_failure_and_success(client: TestClient, session: Session) -> None:
    make_user(session, username="thuky")
    client.get("/login")  # sets the CSRF cookie the form echoes
    form = {"username": "thuky", "password": "nope", "next": "/"}
    form["csrf_token"] = client.cookies.get("hop_csrf") or ""
    assert client.post("/login", data=form).status_code == 401
    form["password"] = PASSWORD
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    assert [e.action for e in entries(session, "auth.")] == ["auth.login_failed", "auth.login"]


def test_refused_request_is_recorded(client: TestClient, session: Session) -> None:
    delegate = make_user(session, username="daibieu")
    login(client, delegate)
    answer = client.post("/api/people", json={"username": "x", "full_name": "X Y"})
    assert answer.status_code == 403
    denied = only(session, "access.denied")
    assert (denied.actor_id, denied.actor) == (delegate.id, "daibieu")
    assert denied.detail["path"] == "/api/people"
    assert denied.detail["method"] == "POST"


def test_enrolment_and_purge_through_the_api(
    client: TestClient, session: Session, settings: Settings
) -> None:
    clerk = make_user(session, role=Role.secretariat, username="thuky")
    person = make_user(session)
    assert person.id is not None
    cipher = FaceCipher.from_secret(settings.resolved_secret_key)
    gallery.record_consent(session=session, person_id=person.id, recorded_by=clerk.id)
    gallery.enrol_face(
        session=session, cipher=cipher, person_id=person.id, face=fake_face(), created_by=clerk.id
    )
    enrolled = only(session, "face.enrolled")
    assert (enrolled.actor, enrolled.target_type, enrolled.target_id) == (
        "thuky",
        "person",
        person.id,
    )
    assert "embedding" not in json.dumps(enrolled.detail)
    login(client, clerk)
    assert client.delete(f"/api/people/{person.id}/faces").status_code == 200
    purged = only(session, "face.purged")
    assert (purged.actor, purged.target_id, purged.detail["faces"]) == ("thuky", person.id, 1)


def test_purge_from_the_cli(session: Session, cli_env: dict[str, str]) -> None:
    person = make_user(session, username="xoa")
    result = CliRunner().invoke(hop, ["purge-faces", "--person", "xoa"], env=cli_env)
    assert result.exit_code == 0, result.output
    purged = only(session, "face.purged")
    assert (purged.actor, purged.target_id) == ("cli", person.id)


def test_manual_check_in_through_the_api(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat, username="thuky")
    meeting = make_meeting(session, creator=clerk)
    guest = make_user(session)
    invite(session, meeting, guest)
    login(client, clerk)
    body = {"person_id": guest.id, "action": "check_in", "reason": "quên thẻ"}
    url = f"/api/meetings/{meeting.id}/attendance"
    assert client.post(url, json=body).status_code == 200
    assert client.post(url, json=body).status_code == 200  # already present: nothing new
    entry = only(session, "attendance.manual")
    assert (entry.actor, entry.target_id, entry.meeting_id) == ("thuky", guest.id, meeting.id)
    assert entry.detail == {"kind": "check_in", "reason": "quên thẻ"}


def test_poll_lifecycle_through_the_api(client: TestClient, session: Session) -> None:
    room = make_room(session, delegates=2)
    poll = room.poll()
    login(client, room.clerk)
    for step in ("open", "close", "publish"):
        answer = client.post(f"/api/polls/{poll.id}/{step}")
        assert answer.status_code == 200, answer.text
    rows = entries(session, "poll.")
    assert [row.action for row in rows] == [
        "poll.created",
        "poll.opened",
        "poll.closed",
        "poll.published",
    ]
    assert {row.actor for row in rows[1:]} == {room.clerk.username}
    assert {row.target_id for row in rows} == {poll.id}
    assert audit.verify(session) is None


def test_poll_cancel(session: Session, client: TestClient) -> None:
    room = make_room(session, delegates=1)
    polls.cancel_poll(session=session, poll=room.poll())
    assert only(session, "poll.cancelled").target_type == "poll"


def test_secret_poll_audit_holds_no_choice(client: TestClient, session: Session) -> None:
    room = make_room(session, delegates=3)
    poll = room.open(secret=True)
    before = len(entries(session))
    for voter, choice in zip(room.delegates, ("yes", "no", "abstain"), strict=True):
        room.cast(poll, voter, choice=choice)
    assert len(entries(session)) == before  # ballots are not audited
    polls.close_poll(session=session, poll=poll)
    polls.publish_poll(session=session, poll=poll)
    text = json.dumps([row.detail for row in entries(session, "poll.")])
    for word in ("yes", "no", "abstain", "receipt", "result"):
        assert f'"{word}"' not in text
    closed = only(session, "poll.closed")
    assert closed.detail == {"title": poll.title, "secret": True, "ballots": 3}
    voters = {person.id for person in room.delegates}
    assert not voters & {row.actor_id for row in entries(session, "poll.")}


def test_document_publish_through_the_api(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat, username="thuky")
    meeting = make_meeting(session, creator=clerk)
    document = make_document(session, client, meeting, clerk, title="Tờ trình số 1")
    login(client, clerk)
    assert client.post(f"/api/documents/{document.id}/publish").status_code == 200
    assert client.post(f"/api/documents/{document.id}/publish").status_code == 200
    entry = only(session, "document.published")
    assert (entry.actor, entry.target_id, entry.meeting_id) == ("thuky", document.id, meeting.id)
    assert entry.detail["title"] == "Tờ trình số 1"


def test_failed_action_leaves_no_entry(client: TestClient, session: Session) -> None:
    room = make_room(session, delegates=1)
    poll = room.poll()
    login(client, room.clerk)
    assert client.post(f"/api/polls/{poll.id}/publish").status_code == 409  # still a draft
    assert [row.action for row in entries(session, "poll.")] == ["poll.created"]
