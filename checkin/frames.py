"""What a kiosk frame means for a meeting: who may be recognised, and how each face is shown.

The pool job (checkin.qr.analyse_kiosk_frame) finds faces and QR codes; these functions do
the database side, in a thread: the meeting's gallery and invitees, and the JSON-ready
description of each face. The check-ins a frame makes are recorded by checkin.arrivals.
No embedding is ever part of what they return.
"""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from checkin.engine import Box, FrameAnalysis
from checkin.errors import MeetingNotFoundError
from checkin.gallery import GalleryCache
from checkin.kiosk import decide_once
from checkin.matching import Candidate, Gallery, Match, Verdict
from checkin.policy import get_policy, thresholds
from checkin.tracker import FaceDecision, FaceState
from models import CheckinPolicy, Invitation, Meeting, Person


@dataclass(frozen=True)
class Invitee:
    person_id: int
    invitation_id: int
    name: str
    seat: str


@dataclass(frozen=True)
class MeetingFaces:
    """What a kiosk needs of a meeting to decide a frame."""

    meeting_id: int
    gallery: Gallery
    policy: CheckinPolicy
    invitees: dict[int, Invitee]

    def label(self, person_id: int | None) -> dict[str, Any]:
        invitee = self.invitees.get(person_id) if person_id is not None else None
        if invitee is None:
            return {"person_id": None, "name": None, "seat": None}
        return {"person_id": invitee.person_id, "name": invitee.name, "seat": invitee.seat}


def load_meeting_faces(*, session: Session, meeting_id: int, cache: GalleryCache) -> MeetingFaces:
    """The meeting's gallery (cached), check-in policy and invitees."""
    if session.get(Meeting, meeting_id) is None:
        raise MeetingNotFoundError(f"Meeting {meeting_id} not found")
    rows = session.exec(
        select(Invitation.id, Invitation.person_id, Invitation.seat_label, Person.full_name)
        .join(Person, col(Person.id) == col(Invitation.person_id))
        .where(Invitation.meeting_id == meeting_id)
    ).all()
    invitees = {
        pid: Invitee(pid, int(inv_id or 0), name, seat or "") for inv_id, pid, seat, name in rows
    }
    return MeetingFaces(
        meeting_id=meeting_id,
        gallery=cache.get(session=session, meeting_id=meeting_id),
        policy=get_policy(session=session, meeting_id=meeting_id),
        invitees=invitees,
    )


def box_dict(box: Box) -> dict[str, int]:
    return {"top": box.top, "right": box.right, "bottom": box.bottom, "left": box.left}


def _candidates(faces: MeetingFaces, candidates: tuple[Candidate, ...]) -> list[dict[str, Any]]:
    return [faces.label(c.person_id) for c in candidates if c.person_id in faces.invitees]


def describe_decision(faces: MeetingFaces, decision: FaceDecision) -> dict[str, Any]:
    """A tracked face as the kiosk shows it: box, state, name and seat, names to tap."""
    named = decision.state not in {FaceState.unknown, FaceState.detecting, FaceState.blink}
    return {
        "track_id": decision.track_id,
        "box": box_dict(decision.box),
        "state": str(decision.state),
        **faces.label(decision.person_id if named else None),
        "candidates": _candidates(faces, decision.candidates),
    }


SINGLE_FRAME_STATES = {
    Verdict.accept: "accepted",
    Verdict.grey: "grey",
    Verdict.unknown: "unknown",
}


@dataclass(frozen=True)
class SingleFrame:
    """A single image decided without a tracker: faces, and who to check in by face."""

    faces: list[dict[str, Any]]
    accepted: list[tuple[int, float]]
    liveness_required: bool


def decide_single_frame(faces: MeetingFaces, analysis: FrameAnalysis) -> SingleFrame:
    """Every face of one image: accepted, grey (candidates to confirm) or unknown."""
    matches = iter(decide_once(analysis, faces.gallery, thresholds(faces.policy)))
    described: list[dict[str, Any]] = []
    accepted: list[tuple[int, float]] = []
    for face in analysis.faces:
        match = next(matches) if face.embedding is not None else Match(Verdict.unknown)
        described.append(_describe_match(faces, face.box, match))
        if match.verdict == Verdict.accept and match.person_id is not None:
            accepted.append((match.person_id, float(match.distance or 0.0)))
    # One image cannot show a blink: where the meeting asks for liveness, no face check-in.
    liveness = faces.policy.require_liveness
    return SingleFrame(described, [] if liveness else accepted, liveness)


def _describe_match(faces: MeetingFaces, box: Box, match: Match) -> dict[str, Any]:
    grey = match.verdict == Verdict.grey
    named = match.verdict == Verdict.accept or grey
    return {
        "box": box_dict(box),
        "state": SINGLE_FRAME_STATES[match.verdict],
        **faces.label(match.person_id if named else None),
        "distance": None if match.distance is None else round(match.distance, 3),
        "candidates": _candidates(faces, match.candidates) if grey else [],
    }
