"""Templates that learn, safely: when a kiosk face may join the person's gallery.

A person checked in by a second factor (their QR code, the desk, or a name tapped in the grey
zone) while a kiosk of the meeting saw one face, alone, a moment before, may have that face
added as a *learned* template. The rules, all here and pure (the server, via
checkin.gallery.learn_template, and `hop eval-faces`' simulation call the same functions):

- only a second factor teaches; a face-only acceptance never does, or the gallery would
  drift towards whoever the face matcher already (perhaps wrongly) accepts;
- the face was seen within WINDOW_S seconds before the confirmation, and it was the only
  face in front of that kiosk in those seconds (no frame with two faces): the confirmation
  says who stands there, so only then is the face theirs;
- it passes the enrolment quality gate (size and sharpness, checkin.engine's thresholds);
- it is plausibly the confirmed person's: within MAX_OWN_DISTANCE of one of their templates
  (dlib's own calibration: same-person pairs fall under 0.6) and nearer to them than to anyone
  else's. A second factor says who is checked in, not whose face the camera saw: a face far
  from every template of that person is more likely someone else in frame. So learning only
  extends a gallery that an enrolment started; it never creates the first template;
- at most MAX_LEARNED learned templates per person: the oldest learned go first; enrolled
  templates are never touched.

No ORM here: `hop eval-faces` imports these rules into its face workers.
"""

import threading
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from checkin.engine import EMBEDDING_SIZE, MIN_ENROL_FACE_PX, MIN_ENROL_SHARPNESS, Embeddings
from checkin.matching import distances

WINDOW_S = 10.0
MAX_LEARNED = 3
MAX_OWN_DISTANCE = 0.60


class Confirmation(StrEnum):
    """How a check-in was confirmed."""

    face = "face"  # the face matcher alone: never teaches
    qr = "qr"
    desk = "desk"
    tap = "tap"  # a name tapped in the grey zone


TEACHERS = frozenset({Confirmation.qr, Confirmation.desk, Confirmation.tap})


class Refusal(StrEnum):
    """Why a confirmed check-in taught nothing."""

    face_only = "face-only acceptance"
    policy_off = "the meeting does not learn templates"
    no_consent = "no standing consent"
    no_sighting = "no single face seen by a kiosk"
    several_kiosks = "faces seen at several kiosks"
    too_old = "the face was seen too long before"
    crowded = "several faces in front of the kiosk"
    too_small = "the face is too small"
    too_blurry = "the face is too blurry"
    not_enrolled = "the person has no enrolled template"
    too_far = "the face is far from the person's templates"
    nearer_someone_else = "the face is nearer to someone else"


@dataclass(frozen=True)
class Sighting:
    """A face a kiosk saw: what quality it had, how many faces were in front, and when."""

    embedding: Embeddings
    face_px: int
    sharpness: float
    at: float  # seconds on the caller's monotonic clock
    faces: int = 1
    kiosk: str = ""


def may_teach(confirmation: Confirmation) -> bool:
    """Only a second factor teaches: never the face matcher on its own."""
    return confirmation in TEACHERS


def refusal(
    *,
    confirmation: Confirmation,
    sighting: Sighting | None,
    at: float,
    own: Embeddings,
    others: Embeddings,
) -> Refusal | None:
    """Why this sighting must not become a template of the confirmed person (None: it may).

    `own` holds the person's templates (enrolled and learned), `others` everyone else's.
    """
    if not may_teach(confirmation):
        return Refusal.face_only
    if sighting is None:
        return Refusal.no_sighting
    return _timing(sighting, at) or _quality(sighting) or _identity(sighting, own, others)


def _timing(sighting: Sighting, at: float) -> Refusal | None:
    if sighting.faces != 1:
        return Refusal.crowded
    if not 0.0 <= at - sighting.at <= WINDOW_S:
        return Refusal.too_old
    return None


def _quality(sighting: Sighting) -> Refusal | None:
    if sighting.face_px < MIN_ENROL_FACE_PX:
        return Refusal.too_small
    if sighting.sharpness < MIN_ENROL_SHARPNESS:
        return Refusal.too_blurry
    return None


def _identity(sighting: Sighting, own: Embeddings, others: Embeddings) -> Refusal | None:
    if len(own) == 0:
        return Refusal.not_enrolled
    probe = sighting.embedding.reshape(1, EMBEDDING_SIZE)
    nearest_own = float(distances(probe, own).min())
    if nearest_own > MAX_OWN_DISTANCE:
        return Refusal.too_far
    if len(others) and float(distances(probe, others).min()) <= nearest_own:
        return Refusal.nearer_someone_else
    return None


def learned_to_drop(learned_oldest_first: list[int], bound: int = MAX_LEARNED) -> list[int]:
    """The learned templates to delete so that one more fits under the bound (oldest first)."""
    excess = len(learned_oldest_first) + 1 - bound
    return learned_oldest_first[: max(excess, 0)]


# -- what the kiosks saw a moment ago ----------------------------------------------------------


@dataclass(frozen=True)
class Glimpse:
    """A kiosk frame that showed exactly one face (kept whole: its quality is measured in
    the face pool only if a confirmation asks for it), or None after a crowded frame."""

    frame: bytes | None
    at: float
    kiosk: str


class RecentFaces:
    """Per meeting and kiosk, the last frame with one face, in this process's memory only.

    A frame with several faces replaces it with a crowded mark, so a confirmation right after
    it learns nothing. Entries older than WINDOW_S are useless and dropped as others arrive.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[int, str], Glimpse] = {}
        self._lock = threading.Lock()

    def saw(self, *, meeting_id: int, kiosk: str, frame: bytes, faces: int, at: float) -> None:
        """Note a frame's faces: one face keeps the frame, several mark the kiosk crowded."""
        if faces == 0:
            return  # nobody in front: what was seen before still stands
        glimpse = Glimpse(frame if faces == 1 else None, at, kiosk)
        with self._lock:
            self._prune(at)
            self._seen[(meeting_id, kiosk)] = glimpse

    def glimpse(self, *, meeting_id: int, at: float, kiosk: str | None = None) -> Glimpse | Refusal:
        """The one recent single-face frame: of this kiosk, or (the desk) of the meeting's one
        kiosk that saw a face in the window; else why there is none."""
        with self._lock:
            self._prune(at)  # a face is not kept in memory longer than it is useful
            recent = [
                g
                for (meeting, name), g in self._seen.items()
                if meeting == meeting_id and (kiosk is None or name == kiosk) and g.at <= at
            ]
        if not recent:
            return Refusal.no_sighting
        if len(recent) > 1:
            return Refusal.several_kiosks
        return recent[0] if recent[0].frame is not None else Refusal.crowded

    def _prune(self, now: float) -> None:
        self._seen = {k: g for k, g in self._seen.items() if now - g.at <= WINDOW_S}

    def forget(self, *, meeting_id: int, kiosk: str) -> None:
        """Drop a kiosk's frame (its socket closed)."""
        with self._lock:
            self._seen.pop((meeting_id, kiosk), None)


def no_templates() -> Embeddings:
    return np.empty((0, EMBEDDING_SIZE), dtype=np.float32)
