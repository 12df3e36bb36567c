"""Confirming the voter's face at vote time (poll.confirm_face): the 1:1 check against the
voter's own templates, the one-time permit a ballot takes, the chair's desk permit, and a
secret poll whose choices hold nothing of the face check."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import DateTime, inspect
from sqlmodel import Session, select

from checkin import engine, gallery
from checkin.crypto import FaceCipher
from checkin.engine import Box, EnrolmentFace, Face, FrameAnalysis, FrameOptions
from checkin.policy import update_policy
from models import (
    AuditEntry,
    Ballot,
    BallotCast,
    CheckinPolicyUpdate,
    Event,
    Person,
    Poll,
    ProxyCreate,
    SecretChoice,
    SecretVoter,
)
from models.base import as_utc, utcnow
from models.poll import PermitMethod, VotePermit
from tests.faces import PEOPLE, PROBES
from tests.factories import Room, check_out, make_user, nonce
from voting import ballots, face_check, permits, proxies
from voting.errors import (
    FaceCheckNotAskedError,
    FaceCheckRequiredError,
    FaceMismatchError,
    LivenessFailedError,
    NoEnrolledFaceError,
    NoFaceInFrameError,
    NotCheckedInError,
    NotEligibleError,
    SeveralFacesError,
)
from voting.permits import IssuedPermit

# They read the photos of ../shared/faces: without them, one clear failure per test.
pytestmark = pytest.mark.usefixtures("faces")

CIPHER = FaceCipher.from_secret("test-secret-key-that-is-long-enough-0123456789")
OPTIONS = FrameOptions(detect=engine.PHOTO_DETECTION, landmarks=True)


@pytest.fixture(scope="module")
def photos() -> dict[str, Any]:
    """The photos analysed once for the module: enrolment faces and tablet frames."""
    blank = cv2.imencode(".jpg", np.full((480, 640, 3), 180, dtype=np.uint8))[1].tobytes()
    frame = engine.analyse_frame
    return {
        "obama": engine.analyse_enrolment_photo((PEOPLE / "obama" / "obama.jpg").read_bytes()),
        "biden": engine.analyse_enrolment_photo((PEOPLE / "biden" / "biden.jpg").read_bytes()),
        "obama_frame": frame((PROBES / "obama-480p.jpg").read_bytes(), OPTIONS),
        "two_frame": frame((PROBES / "obama_and_biden.jpg").read_bytes(), OPTIONS),
        "empty_frame": frame(blank, OPTIONS),
    }


def enrol(session: Session, person: Person, face: EnrolmentFace) -> None:
    assert person.id is not None
    gallery.record_consent(session=session, person_id=person.id, recorded_by=None, note="test")
    gallery.enrol_face(session=session, cipher=CIPHER, person_id=person.id, face=face)


def check(
    room: Room, poll: Poll, person: Person, *frames: FrameAnalysis, **kw: Any
) -> IssuedPermit:
    return face_check.check_face(
        session=room.session, cipher=CIPHER, poll=poll, person=person, analyses=frames, **kw
    )


def cast(room: Room, poll: Poll, voter: Person, permit: str | None, **fields: Any) -> Any:
    body = {"nonce": nonce(), "choice": "yes", "permit": permit, **fields}
    return ballots.cast_ballot(
        session=room.session,
        poll=poll,
        voter=voter,
        cast=BallotCast.model_validate({k: v for k, v in body.items() if k != "now"}),
        now=fields.get("now"),
    )


def count(session: Session, table: type) -> int:
    return len(session.exec(select(table)).all())


def test_the_right_face_gets_a_permit_and_the_ballot_takes_it(
    room: Room, photos: dict[str, Any]
) -> None:
    voter = room.delegates[0]
    enrol(room.session, voter, photos["obama"])
    poll = room.open(confirm_face=True)
    issued = check(room, poll, voter, photos["obama_frame"])
    assert issued.token is not None
    assert issued.permit.method == PermitMethod.face
    assert issued.permit.distance is not None
    assert issued.permit.distance < 0.5
    # Only the token's hash is kept.
    assert issued.permit.token_hash == permits.token_hash(issued.token)
    assert issued.token not in str(room.session.exec(select(VotePermit)).all())

    ack = cast(room, poll, voter, issued.token)
    assert ack.poll_id == poll.id
    stored = room.session.exec(select(Ballot).where(Ballot.voter_id == voter.id)).one()
    assert stored.choice == {"options": ["yes"], "abstain": False}
    room.session.refresh(issued.permit)
    assert issued.permit.used_at is not None


def test_a_wrong_face_cannot_vote_and_nothing_is_stored(room: Room, photos: dict[str, Any]) -> None:
    owner, impostor = room.delegates[0], room.delegates[1]
    enrol(room.session, owner, photos["obama"])
    enrol(room.session, impostor, photos["biden"])
    poll = room.open(confirm_face=True)
    events = count(room.session, Event)
    # Obama's face at Biden's tablet: matched 1:1 against Biden only, even though it is
    # another invitee's face.
    with pytest.raises(FaceMismatchError, match="does not match"):
        check(room, poll, impostor, photos["obama_frame"])
    assert count(room.session, VotePermit) == 0
    with pytest.raises(FaceCheckRequiredError, match="Confirm your face before voting"):
        cast(room, poll, impostor, None)
    assert count(room.session, Ballot) == 0
    assert count(room.session, Event) == events


def test_a_refused_check_says_why(room: Room, photos: dict[str, Any]) -> None:
    voter, unenrolled = room.delegates[0], room.delegates[1]
    enrol(room.session, voter, photos["obama"])
    poll = room.open(confirm_face=True)
    with pytest.raises(NoFaceInFrameError):
        check(room, poll, voter, photos["empty_frame"])
    with pytest.raises(SeveralFacesError):
        check(room, poll, voter, photos["two_frame"])
    with pytest.raises(NoFaceInFrameError):
        check(room, poll, voter)
    with pytest.raises(NoEnrolledFaceError):
        check(room, poll, unenrolled, photos["obama_frame"])
    plain = room.open()
    with pytest.raises(FaceCheckNotAskedError):
        check(room, plain, voter, photos["obama_frame"])
    assert count(room.session, VotePermit) == 0


def test_only_who_may_vote_now_is_checked(room: Room, photos: dict[str, Any]) -> None:
    outsider = make_user(room.session)
    enrol(room.session, outsider, photos["obama"])
    poll = room.open(confirm_face=True)
    with pytest.raises(NotEligibleError):
        check(room, poll, outsider, photos["obama_frame"])
    draft = room.poll(confirm_face=True)
    enrol(room.session, room.delegates[0], photos["obama"])
    with pytest.raises(Exception, match="not open"):
        check(room, draft, room.delegates[0], photos["obama_frame"])
    assert count(room.session, VotePermit) == 0


def test_a_permit_is_one_time(room: Room, photos: dict[str, Any]) -> None:
    voter = room.delegates[0]
    enrol(room.session, voter, photos["obama"])
    poll = room.open(confirm_face=True, allow_change=True)
    token = check(room, poll, voter, photos["obama_frame"]).token
    body = {"nonce": nonce(), "choice": "yes", "permit": token}
    first = ballots.cast_ballot(
        session=room.session, poll=poll, voter=voter, cast=BallotCast.model_validate(body)
    )
    # The same ballot resent (a lost answer) is acknowledged again, as before.
    again = ballots.cast_ballot(
        session=room.session, poll=poll, voter=voter, cast=BallotCast.model_validate(body)
    )
    assert again == first
    # A new ballot (a change) with the spent permit is refused, and changes nothing.
    with pytest.raises(FaceCheckRequiredError, match="expired or was already used"):
        cast(room, poll, voter, token, choice="no")
    stored = room.session.exec(select(Ballot)).one()
    room.session.refresh(stored)
    assert stored.choice["options"] == ["yes"]
    # A new face check allows the change.
    cast(room, poll, voter, check(room, poll, voter, photos["obama_frame"]).token, choice="no")
    room.session.refresh(stored)
    assert stored.choice["options"] == ["no"]


def test_a_permit_expires(room: Room, photos: dict[str, Any]) -> None:
    voter = room.delegates[0]
    enrol(room.session, voter, photos["obama"])
    poll = room.open(confirm_face=True)
    start = utcnow()
    token = check(room, poll, voter, photos["obama_frame"], now=start).token
    late = start + permits.FACE_TTL + timedelta(seconds=1)
    with pytest.raises(FaceCheckRequiredError, match="expired"):
        cast(room, poll, voter, token, now=late)
    assert count(room.session, Ballot) == 0
    cast(room, poll, voter, token, now=start + permits.FACE_TTL - timedelta(seconds=1))
    assert count(room.session, Ballot) == 1


def test_a_permit_is_bound_to_its_poll_and_voter(room: Room, photos: dict[str, Any]) -> None:
    voter, other = room.delegates[0], room.delegates[1]
    enrol(room.session, voter, photos["obama"])
    poll, second = room.open(confirm_face=True), room.open(confirm_face=True)
    token = check(room, poll, voter, photos["obama_frame"]).token
    with pytest.raises(FaceCheckRequiredError):
        cast(room, poll, other, token)
    with pytest.raises(FaceCheckRequiredError):
        cast(room, second, voter, token)
    with pytest.raises(FaceCheckRequiredError):
        cast(room, poll, voter, "x" * 43)  # a made-up token
    assert count(room.session, Ballot) == 0
    cast(room, poll, voter, token)  # still unspent
    assert count(room.session, Ballot) == 1


def test_a_poll_without_face_confirmation_is_unchanged(room: Room) -> None:
    poll = room.open()
    cast(room, poll, room.delegates[0], None)
    assert count(room.session, Ballot) == 1
    assert count(room.session, VotePermit) == 0


def test_the_chair_lets_a_member_vote_after_a_desk_check(room: Room) -> None:
    voter = room.delegates[0]
    poll = room.open(confirm_face=True)
    with pytest.raises(FaceCheckRequiredError):
        cast(room, poll, voter, None)
    issued = face_check.allow_after_desk_check(
        session=room.session,
        poll=poll,
        voter_id=voter.id or 0,
        chair=room.chair,
        reason="Kính cận che mặt; thư ký đã đối chiếu CCCD",
    )
    assert issued.token is None
    assert issued.permit.method == PermitMethod.desk
    entry = room.session.exec(
        select(AuditEntry).where(AuditEntry.action == "vote.desk_allowed")
    ).one()
    assert entry.actor_id == room.chair.id
    assert entry.target_id == poll.id
    assert entry.detail["voter_id"] == voter.id
    assert entry.detail["reason"] == "Kính cận che mặt; thư ký đã đối chiếu CCCD"
    # The member's next ballot takes it, once.
    cast(room, poll, voter, None)
    assert count(room.session, Ballot) == 1
    room.session.refresh(issued.permit)
    assert issued.permit.used_at is not None
    assert (
        permits.desk_permit(session=room.session, poll_id=poll.id or 0, voter_id=voter.id or 0)
        is None
    )


def test_a_desk_permit_only_for_a_member_of_a_poll_that_asks(room: Room) -> None:
    poll, plain = room.open(confirm_face=True), room.open()
    outsider = make_user(room.session)
    with pytest.raises(NotEligibleError, match="not invited"):
        face_check.allow_after_desk_check(
            session=room.session, poll=poll, voter_id=outsider.id or 0, chair=room.chair, reason="x"
        )
    with pytest.raises(FaceCheckNotAskedError):
        face_check.allow_after_desk_check(
            session=room.session,
            poll=plain,
            voter_id=room.delegates[0].id or 0,
            chair=room.chair,
            reason="x",
        )
    assert count(room.session, VotePermit) == 0
    assert (
        room.session.exec(select(AuditEntry).where(AuditEntry.action == "vote.desk_allowed")).all()
        == []
    )


def test_a_desk_permit_still_needs_the_member_to_be_eligible(room: Room) -> None:
    voter = room.delegates[0]
    poll = room.open(confirm_face=True)
    face_check.allow_after_desk_check(
        session=room.session, poll=poll, voter_id=voter.id or 0, chair=room.chair, reason="ok"
    )
    check_out(room.session, room.meeting, voter)
    with pytest.raises(NotCheckedInError):
        cast(room, poll, voter, None)
    assert count(room.session, Ballot) == 0


def test_liveness_needs_a_blink_or_a_turn_across_the_burst(
    room: Room, photos: dict[str, Any]
) -> None:
    voter = room.delegates[0]
    enrol(room.session, voter, photos["obama"])
    update_policy(
        session=room.session,
        meeting=room.meeting,
        data=CheckinPolicyUpdate(require_liveness=True),
    )
    poll = room.open(confirm_face=True)
    still: FrameAnalysis = photos["obama_frame"]
    with pytest.raises(LivenessFailedError):
        check(room, poll, voter, still)
    # A printed photo held to the camera: the same face in every frame.
    with pytest.raises(LivenessFailedError):
        check(room, poll, voter, *[still] * face_check.BURST_FRAMES)
    assert count(room.session, VotePermit) == 0
    # The same face blinking in the middle of the burst.
    burst = [still, still, blinked(still), blinked(still), still, still]
    token = check(room, poll, voter, *burst).token
    cast(room, poll, voter, token)
    assert count(room.session, Ballot) == 1


def blinked(analysis: FrameAnalysis) -> FrameAnalysis:
    """The frame with both upper eyelids lowered onto the lower ones (see test_liveness)."""
    face = analysis.faces[0]
    assert face.landmarks is not None
    shut = face.landmarks.copy()
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        shut[upper, 1] = shut[lower, 1] - 0.5
    return replace(analysis, faces=[replace(face, landmarks=shut)])


def test_a_secret_poll_keeps_the_face_check_apart_from_the_choice(
    room: Room, photos: dict[str, Any]
) -> None:
    first, second = room.delegates[0], room.delegates[1]
    enrol(room.session, first, photos["obama"])
    enrol(room.session, second, photos["obama"])  # the same face: two people, one photo
    poll = room.open(confirm_face=True, secret=True)
    for voter, choice in ((first, "yes"), (second, "no")):
        cast(
            room, poll, voter, check(room, poll, voter, photos["obama_frame"]).token, choice=choice
        )
    used = room.session.exec(select(VotePermit)).all()
    assert len(used) == 2
    # The permit is spent with the who-voted mark, at the mark's own time, on that side.
    marks = {m.voter_id: m for m in room.session.exec(select(SecretVoter))}
    for permit in used:
        assert permit.used_at is not None
        assert as_utc(permit.used_at) == as_utc(marks[permit.voter_id].received_at)
    # What was voted holds no time at all, and no value any permit holds.
    choice_columns = inspect(SecretChoice).columns
    assert not [c.name for c in choice_columns if isinstance(c.type, DateTime)]
    assert {c.name for c in choice_columns} == {"id", "poll_id", "choice", "receipt"}
    permit_values = {
        str(getattr(permit, column.key))
        for permit in used
        for column in inspect(VotePermit).columns
        if column.key != "poll_id" and getattr(permit, column.key) is not None
    }
    for row in room.session.exec(select(SecretChoice).where(SecretChoice.poll_id == poll.id)):
        values = {row.id, row.receipt, str(row.choice)}
        assert not values & permit_values
        assert not any(value in str(values) for value in permit_values if len(value) > 8)
    # No foreign key of any table leads from a choice to a permit, or back.
    foreign = {fk.column.table.name for fk in inspect(SecretChoice).local_table.foreign_keys}
    assert foreign == {"poll"}
    assert "secret_choice" not in {
        fk.column.table.name for fk in inspect(VotePermit).local_table.foreign_keys
    }
    assert sorted(c.choice["options"][0] for c in room.session.exec(select(SecretChoice))) == [
        "no",
        "yes",
    ]


def test_spent_permits_are_not_reused_within_one_batch(room: Room, photos: dict[str, Any]) -> None:
    from voting.batch import PendingCast, cast_ballots

    voter = room.delegates[0]
    enrol(room.session, voter, photos["obama"])
    poll = room.open(confirm_face=True, allow_change=True)
    token = check(room, poll, voter, photos["obama_frame"]).token
    assert poll.id is not None
    assert voter.id is not None
    casts = [
        PendingCast(voter.id, BallotCast(nonce=nonce(), choice=choice, permit=token))
        for choice in ("yes", "no")
    ]
    outcomes = cast_ballots(session=room.session, poll_id=poll.id, casts=casts)
    assert not isinstance(outcomes[0], Exception)
    assert isinstance(outcomes[1], FaceCheckRequiredError)
    stored = room.session.exec(select(Ballot)).one()
    room.session.refresh(stored)
    assert stored.choice["options"] == ["yes"]
    [permit] = room.session.exec(select(VotePermit)).all()
    room.session.refresh(permit)
    assert permit.used_at is not None


def test_a_small_face_in_the_background_is_not_a_second_voter(
    room: Room, photos: dict[str, Any]
) -> None:
    voter = room.delegates[0]
    enrol(room.session, voter, photos["obama"])
    poll = room.open(confirm_face=True)
    frame: FrameAnalysis = photos["obama_frame"]
    size = frame.faces[0].box.size
    passer_by = Face(box=Box(top=0, right=size // 4, bottom=size // 4, left=0))
    crowded = replace(frame, faces=[passer_by, *frame.faces])
    assert check(room, poll, voter, crowded).token
    beside = Face(box=Box(top=0, right=size, bottom=size, left=0))
    with pytest.raises(SeveralFacesError):
        check(room, poll, voter, replace(frame, faces=[*frame.faces, beside]))


def test_a_proxy_holder_confirms_their_own_face_for_the_member(
    room: Room, photos: dict[str, Any]
) -> None:
    holder, member = room.delegates[0], room.delegates[1]
    enrol(room.session, holder, photos["obama"])
    check_out(room.session, room.meeting, member)
    proxies.record_proxy(
        session=room.session,
        meeting=room.meeting,
        data=ProxyCreate(holder_id=holder.id or 0, represented_id=member.id or 0),
        recorder=room.clerk,
    )
    poll = room.open(confirm_face=True)
    own = check(room, poll, holder, photos["obama_frame"]).token
    # The holder's own permit does not cast the member's ballot.
    with pytest.raises(FaceCheckRequiredError):
        cast(room, poll, holder, own, on_behalf_of=member.id)
    issued = check(room, poll, holder, photos["obama_frame"], on_behalf_of=member.id)
    assert issued.permit.voter_id == member.id
    assert issued.permit.person_id == holder.id
    cast(room, poll, holder, issued.token, on_behalf_of=member.id)
    cast(room, poll, holder, own)
    assert count(room.session, Ballot) == 2
