"""An encrypted poll that confirms each voter's face (issue 16.4 with issue 20): the ballot
needs a one-time permit, spends it, and nothing links the permit (who, when) to the
ciphertext. The face match that issues the permit is tested in tests/voting/test_face_check.py;
here the permit is issued as that check issues it."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from models import EncryptedBallot, Poll, SecretVoter
from models.base import utcnow
from models.poll import PermitMethod, VotePermit
from tests.api.test_encrypted_polls import board_of, cast, ready_poll
from tests.factories import Room, assert_error, login
from voting import permits
from voting.encrypted.devices import tablet


def face_permit(room: Room, poll_id: int, voter_id: int) -> str:
    issued = permits.issue(
        session=room.session,
        poll_id=poll_id,
        voter_id=voter_id,
        person_id=voter_id,
        method=PermitMethod.face,
        now=utcnow(),
        distance=0.31,
    )
    room.session.commit()
    assert issued.token is not None
    return issued.token


def test_an_encrypted_ballot_needs_the_face_permit_and_spends_it(
    client: TestClient, room: Room
) -> None:
    poll_id, _ = ready_poll(client, room, confirm_face=True)
    assert room.session.get(Poll, poll_id).confirm_face  # type: ignore[union-attr]
    voter = room.delegates[3]
    assert voter.id is not None
    login(client, voter)
    reveal: dict[str, Any] = tablet(board_of(client, poll_id), ["yes"])
    assert_error(cast(client, poll_id, reveal["ballot"]), 403, "FaceCheckRequiredError")
    assert not room.session.exec(select(EncryptedBallot)).all()  # refused: nothing stored

    token = face_permit(room, poll_id, voter.id)
    ack = cast(client, poll_id, reveal["ballot"], permit=token)
    assert ack.status_code == 200, ack.text
    again = cast(client, poll_id, tablet(board_of(client, poll_id), ["no"])["ballot"], permit=token)
    assert again.status_code in {403, 409}, again.text  # a permit is spent once, a voter votes once

    room.session.expire_all()
    (permit,) = room.session.exec(select(VotePermit).where(VotePermit.poll_id == poll_id)).all()
    assert permit.used_at is not None
    (stored,) = room.session.exec(select(EncryptedBallot)).all()
    code = reveal["ballot"]["tracking_code"]
    assert stored.tracking_code == code
    # Unlinkable: the ciphertext's row has no voter and no time; the permit and the who-voted
    # mark have no tracking code and no ciphertext.
    assert set(EncryptedBallot.model_fields) == {"id", "poll_id", "tracking_code", "ballot"}
    for row in (permit, *room.session.exec(select(SecretVoter)).all()):
        assert code not in str([getattr(row, name) for name in type(row).model_fields])


def test_the_chair_s_desk_permit_lets_a_voter_in_without_the_camera(
    client: TestClient, room: Room
) -> None:
    poll_id, _ = ready_poll(client, room, confirm_face=True)
    voter = room.delegates[4]
    assert voter.id is not None
    assert room.chair.id is not None
    permits.issue(
        session=room.session,
        poll_id=poll_id,
        voter_id=voter.id,
        person_id=voter.id,
        method=PermitMethod.desk,
        now=utcnow(),
        granted_by=room.chair.id,
        reason="Bàn thư ký đã kiểm tra giấy tờ",
    )
    room.session.commit()
    login(client, voter)
    response = cast(client, poll_id, tablet(board_of(client, poll_id), ["no"])["ballot"])
    assert response.status_code == 200, response.text
