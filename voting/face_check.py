"""Confirming the voter's face at vote time, in a poll that asks for it (poll.confirm_face).

The delegate's tablet sends one camera frame, or a short burst of them where the meeting's
check-in policy requires liveness. The frames are analysed in the face process pool (the web
layer calls checkin.engine there); what happens here is cheap and runs in a thread: the
frames' single face is matched 1:1 against the templates of the person at the tablet only,
under the meeting's accept threshold, the burst is read for a blink or a head turn with the
kiosk's liveness check, and an accepted check issues a one-time permit (voting.permits).

The chair may let a member vote after the desk checked who they are: the same permit,
issued with the chair's name and reason, and written to the audit trail.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlmodel import Session, col, select

from checkin.crypto import FaceCipher
from checkin.engine import EMBEDDING_SIZE, Embeddings, Face, FrameAnalysis
from checkin.gallery import list_faces
from checkin.liveness import LivenessCheck
from checkin.matching import distances
from checkin.policy import get_policy, thresholds
from core.audit import audit
from meetings import lifecycle
from models import Invitation, Meeting, Person, Poll
from models.base import as_utc, utcnow
from models.poll import PermitMethod, VotePermit
from voting import permits
from voting.decisions import Caster, check_may_cast
from voting.eligibility import SessionFacts, represented_by, take_roll
from voting.errors import (
    FaceCheckNotAskedError,
    FaceMismatchError,
    LivenessFailedError,
    NoEnrolledFaceError,
    NoFaceInFrameError,
    NotEligibleError,
    NoVotingRightError,
    SeveralFacesError,
)
from voting.permits import IssuedPermit
from voting.tally import voted_ids

# A tablet's burst where liveness is required: about two seconds of frames, enough for a
# slow head turn or a blink, and few enough for the pool (each frame costs ~0.2 s of CPU).
BURST_FRAMES = 8
BURST_INTERVAL_S = 0.25
MAX_FRAMES = 12
# A face under half the size of the largest one is in the background (someone walking by).
BACKGROUND_RATIO = 0.5


@dataclass(frozen=True)
class FaceCheckPlan:
    """What a face check compares the frames with: the templates of the person at the tablet,
    the meeting's accept and grey thresholds, and whether liveness is required."""

    caster: Caster
    person_id: int
    templates: Embeddings
    accept: float
    grey: float
    liveness: bool

    @property
    def frames(self) -> int:
        """How many frames the tablet sends."""
        return BURST_FRAMES if self.liveness else 1


def plan_face_check(
    *,
    session: Session,
    cipher: FaceCipher,
    poll: Poll,
    person: Person,
    on_behalf_of: int | None = None,
    now: datetime | None = None,
) -> FaceCheckPlan:
    """Refuse what no face could fix (before any face work): a poll that does not ask, a voter
    who may not cast now, a person without an enrolled face."""
    assert person.id is not None
    if not poll.confirm_face:
        raise FaceCheckNotAskedError("This poll does not ask to confirm the voter's face")
    caster = Caster.of(person, on_behalf_of)
    _require_castable(session, poll, caster, now or utcnow())
    templates = person_templates(session=session, cipher=cipher, person_id=person.id)
    if len(templates) == 0:
        raise NoEnrolledFaceError("You have no enrolled face: ask the desk to check you")
    policy = get_policy(session=session, meeting_id=poll.meeting_id)
    limits = thresholds(policy)
    return FaceCheckPlan(
        caster=caster,
        person_id=person.id,
        templates=templates,
        accept=limits.accept,
        grey=limits.grey,
        liveness=policy.require_liveness,
    )


def requires_liveness(*, session: Session, poll: Poll) -> bool:
    """Whether the meeting's check-in policy asks for liveness (a burst of frames, then)."""
    return get_policy(session=session, meeting_id=poll.meeting_id).require_liveness


@dataclass(frozen=True)
class TabletSteps:
    """What the tablet does before a ballot: frames to send (a burst where liveness counts),
    or nothing when the chair already allowed this voter after a desk check."""

    confirm_face: bool
    frames: int = 0
    liveness: bool = False
    allowed_by_desk: bool = False


def tablet_steps(
    *, session: Session, poll: Poll, person: Person, on_behalf_of: int | None = None
) -> TabletSteps:
    """The steps before a ballot of the person (or of the member whose proxy they hold)."""
    if not poll.confirm_face:
        return TabletSteps(confirm_face=False)
    assert person.id is not None
    caster = Caster.of(person, on_behalf_of)
    if caster.holder_id is not None and caster.voter_id not in represented_by(
        session=session, meeting_id=poll.meeting_id, holder_id=caster.holder_id
    ):
        caster = Caster.of(person, None)  # not theirs to ask about: their own ballot then
    liveness = requires_liveness(session=session, poll=poll)
    desk = permits.desk_permit(session=session, poll_id=poll.id or 0, voter_id=caster.voter_id)
    return TabletSteps(
        confirm_face=True,
        frames=BURST_FRAMES if liveness else 1,
        liveness=liveness,
        allowed_by_desk=desk is not None,
    )


def _require_castable(session: Session, poll: Poll, caster: Caster, now: datetime) -> None:
    """The checks a ballot would meet first: the meeting's lifecycle, then the poll's state,
    deadline and the caster's eligibility (the very functions the ballot calls)."""
    meeting = session.get(Meeting, poll.meeting_id)
    assert meeting is not None
    lifecycle.require(session, meeting, lifecycle.Action.cast_ballot)
    check_may_cast(session, poll, caster, now, SessionFacts(session, poll.meeting_id))


def person_templates(*, session: Session, cipher: FaceCipher, person_id: int) -> Embeddings:
    """The person's own enrolled (and learned) embeddings, decrypted: (n, 128)."""
    rows = list_faces(session=session, person_id=person_id)
    if not rows:
        return np.empty((0, EMBEDDING_SIZE), dtype=np.float32)
    matrix = [cipher.decrypt(row.sealed_embedding, person_id=person_id) for row in rows]
    return np.stack(matrix).astype(np.float32).reshape(len(rows), EMBEDDING_SIZE)


def judge_frames(plan: FaceCheckPlan, analyses: Sequence[FrameAnalysis]) -> float:
    """The frames' distance to the person (the median over the burst), or why they fail: no
    face, several faces, not the person, no sign of life."""
    faces = [_single_face(analysis) for analysis in analyses]
    if not faces:
        raise NoFaceInFrameError("No face was found: look straight at the camera")
    probes = np.stack([face.embedding for face in faces if face.embedding is not None])
    nearest = distances(probes, plan.templates).min(axis=1)
    distance = float(statistics.median(nearest.tolist()))
    # Half the burst under the accept threshold, and none of it someone else's face.
    if distance >= plan.accept or float(nearest.max()) >= plan.grey:
        raise FaceMismatchError("The face does not match the voter: ask the desk to check you")
    if plan.liveness and not _alive(faces):
        raise LivenessFailedError(
            "Liveness was not shown: blink or turn your head slowly while the camera looks"
        )
    return distance


def _single_face(analysis: FrameAnalysis) -> Face:
    """The voter's face: the frame's largest, when no other face is close to its size. A far
    smaller face is someone passing behind in the hall, not a second person at the tablet."""
    if not analysis.faces:
        raise NoFaceInFrameError("No face was found: look straight at the camera")
    largest = max(analysis.faces, key=lambda face: face.box.size)
    near = [f for f in analysis.faces if f.box.size >= BACKGROUND_RATIO * largest.box.size]
    if len(near) > 1:
        raise SeveralFacesError(
            "Several faces are in the picture: only the voter may be in front of the camera"
        )
    if largest.embedding is None:
        raise NoFaceInFrameError("No face was found: look straight at the camera")
    return largest


def _alive(faces: Sequence[Face]) -> bool:
    """The kiosk's blink or head-turn challenge over the burst, frames spaced as the tablet
    takes them (the client's own clock is not trusted, nor needed)."""
    check = LivenessCheck()
    for index, face in enumerate(faces):
        if face.landmarks is None:
            return False
        if check.update(face.landmarks, index * BURST_INTERVAL_S):
            return True
    return False


def check_face(
    *,
    session: Session,
    cipher: FaceCipher,
    poll: Poll,
    person: Person,
    analyses: Sequence[FrameAnalysis],
    on_behalf_of: int | None = None,
    now: datetime | None = None,
) -> IssuedPermit:
    """Match the frames against the person's own face and issue a one-time permit to cast
    (for themselves, or for the member whose proxy they hold). Commits."""
    now = now or utcnow()
    plan = plan_face_check(
        session=session, cipher=cipher, poll=poll, person=person, on_behalf_of=on_behalf_of, now=now
    )
    distance = judge_frames(plan, analyses)
    assert poll.id is not None
    issued = permits.issue(
        session=session,
        poll_id=poll.id,
        voter_id=plan.caster.voter_id,
        person_id=plan.person_id,
        method=PermitMethod.face,
        now=now,
        distance=distance,
    )
    session.commit()
    return issued


def allow_after_desk_check(
    *,
    session: Session,
    poll: Poll,
    voter_id: int,
    chair: Person,
    reason: str,
    now: datetime | None = None,
) -> IssuedPermit:
    """The chair lets a member vote whose face was not matched, after the desk checked them:
    a permit their next ballot takes, recorded in the audit trail with who allowed it and
    why. Commits."""
    now = now or utcnow()
    assert poll.id is not None
    if not poll.confirm_face:
        raise FaceCheckNotAskedError("This poll does not ask to confirm the voter's face")
    meeting = session.get(Meeting, poll.meeting_id)
    assert meeting is not None
    lifecycle.require(session, meeting, lifecycle.Action.cast_ballot)
    name = _member_name(session, poll, voter_id)
    issued = permits.issue(
        session=session,
        poll_id=poll.id,
        voter_id=voter_id,
        person_id=voter_id,
        method=PermitMethod.desk,
        now=now,
        granted_by=chair.id,
        reason=reason,
    )
    audit(
        session,
        action="vote.desk_allowed",
        actor=chair,
        target_type="poll",
        target_id=poll.id,
        meeting_id=poll.meeting_id,
        detail={"voter_id": voter_id, "voter": name, "reason": reason},
    )
    session.commit()
    return issued


def _member_name(session: Session, poll: Poll, voter_id: int) -> str:
    """The member's name, when they are invited with a voting right."""
    invitation = session.exec(
        select(Invitation).where(
            Invitation.meeting_id == poll.meeting_id, Invitation.person_id == voter_id
        )
    ).first()
    person = session.get(Person, voter_id)
    if invitation is None or person is None:
        raise NotEligibleError(f"Person {voter_id} is not invited to this meeting")
    if not invitation.voting_right:
        raise NoVotingRightError(f"{person.full_name} has no voting right in this meeting")
    return person.full_name


@dataclass(frozen=True)
class DeskPermitView:
    """A desk permit as the console lists it: for whom, by whom, why, and whether used."""

    voter: str
    granted_by: str
    reason: str
    issued_at: datetime
    used: bool


@dataclass(frozen=True)
class DeskOverview:
    """What the chair needs to let a member vote after a desk check: the members with a
    voting right who have not voted yet, and the permits given so far."""

    members: list[tuple[int, str]]
    permits: list[DeskPermitView]


def desk_overview(*, session: Session, poll: Poll) -> DeskOverview:
    """The members the chair may still allow, and the desk permits of the poll."""
    roll = take_roll(session=session, meeting_id=poll.meeting_id)
    voted = voted_ids(session=session, poll=poll)
    names = _names(session, set(roll.members))
    members = sorted(
        ((pid, names.get(pid, str(pid))) for pid in roll.members - voted), key=lambda m: m[1]
    )
    rows = session.exec(
        select(VotePermit)
        .where(VotePermit.poll_id == poll.id, VotePermit.method == PermitMethod.desk)
        .order_by(col(VotePermit.id))
    ).all()
    people = _names(session, {r.voter_id for r in rows} | {r.granted_by or 0 for r in rows})
    views = [
        DeskPermitView(
            voter=people.get(r.voter_id, ""),
            granted_by=people.get(r.granted_by or 0, ""),
            reason=r.reason,
            issued_at=as_utc(r.issued_at),
            used=r.used_at is not None,
        )
        for r in rows
    ]
    return DeskOverview(members=members, permits=views)


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(ids)))
    return {int(pid or 0): name for pid, name in rows}
