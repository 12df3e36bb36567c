"""Per-kiosk multi-frame decisions: faces followed across frames by box overlap.

A check-in needs the same person accepted in at least `frames_required` frames of one
track within `window_s` seconds (and the liveness challenge met when the meeting asks for
it); a person checked in at this kiosk is not checked in again for `cooldown_s`. Several
faces in one frame are tracked and decided independently. Time is passed in by the caller
(seconds on any monotonic clock), so the logic is deterministic under test.
"""

import itertools
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from checkin.engine import Box
from checkin.errors import NotOfferedError
from checkin.liveness import LivenessCheck, LivenessSettings, Points
from checkin.matching import Candidate, Match, Verdict


class FaceState(StrEnum):
    detecting = "detecting"  # not decided yet: needs another frame
    confirm = "confirm"  # grey zone: the person may tap their name
    unknown = "unknown"  # nobody we know: the desk checks them in by hand
    blink = "blink"  # identified, waiting for the liveness challenge
    checked_in = "checked_in"  # checked in by this frame
    present = "present"  # checked in here a moment ago: greet, do not record again


@dataclass(frozen=True)
class TrackerSettings:
    frames_required: int = 2
    window_s: float = 2.0
    cooldown_s: float = 60.0
    iou_min: float = 0.3
    max_shift: float = 0.75  # a face may move this share of its size between frames
    track_ttl_s: float = 1.0  # a track unseen for longer is dropped
    reverify_s: float = 1.0  # a settled face is re-identified at least this often
    # A face unknown for unknown_grace_s (a visitor, not someone still turning towards the
    # camera) is then re-encoded only every unknown_recheck_s.
    unknown_grace_s: float = 1.0
    unknown_recheck_s: float = 0.5
    liveness: LivenessSettings | None = None  # None: no liveness challenge


@dataclass(frozen=True)
class Observation:
    """A face seen in a frame: its match, unless it was not re-encoded, and landmarks."""

    box: Box
    match: Match | None = None
    landmarks: Points | None = None


@dataclass(frozen=True)
class FaceDecision:
    track_id: int
    box: Box
    state: FaceState
    person_id: int | None = None
    distance: float | None = None
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class CheckIn:
    """A person to check in: the caller records it (checkin.arrivals)."""

    person_id: int
    distance: float
    track_id: int
    at: float


@dataclass(frozen=True)
class TrackerUpdate:
    faces: list[FaceDecision]
    check_ins: list[CheckIn]


@dataclass
class _Track:
    id: int
    box: Box
    last_seen: float
    accepts: deque[tuple[float, int, float]] = field(default_factory=deque)
    greys: deque[tuple[float, Match]] = field(default_factory=deque)
    person_id: int | None = None  # settled identity (checked in, or in cooldown)
    distance: float | None = None
    verified_at: float = 0.0
    unknown_since: float | None = None
    state: FaceState = FaceState.detecting
    liveness: LivenessCheck | None = None
    offered: tuple[Candidate, ...] = ()


class KioskTracker:
    """The faces in front of one kiosk, and who it checked in recently."""

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.settings = settings or TrackerSettings()
        self._tracks: dict[int, _Track] = {}
        self._ids = itertools.count(1)
        self._checked_in: dict[int, float] = {}  # person id -> time of check-in here
        self._last_frame_at: float | None = None

    def skip_boxes(self, now: float) -> tuple[Box, ...]:
        """Boxes whose faces need no new embedding in the next frame (engine skip_boxes)."""
        return tuple(track.box for track in self._tracks.values() if self._skippable(track, now))

    def _skippable(self, track: _Track, now: float) -> bool:
        # Only a face in the last frame may go unchecked: once the spot was empty, whoever
        # steps into it is encoded again, or the next person would get the last one's name.
        if track.last_seen != self._last_frame_at:
            return False
        if track.person_id is not None:
            return now - track.verified_at < self.settings.reverify_s
        if track.state == FaceState.unknown and track.unknown_since is not None:
            settled = now - track.unknown_since >= self.settings.unknown_grace_s
            return settled and now - track.verified_at < self.settings.unknown_recheck_s
        return False

    def update(self, observations: list[Observation], now: float) -> TrackerUpdate:
        """Decide every face of a frame; the check-ins it completes."""
        self._expire(now)
        self._last_frame_at = now
        pairs = self._associate([obs.box for obs in observations])
        faces: list[FaceDecision] = []
        check_ins: list[CheckIn] = []
        for index, observation in enumerate(observations):
            track = pairs.get(index) or self._new_track(observation.box, now)
            track.box, track.last_seen = observation.box, now
            check_in = self._observe(track, observation, now)
            if check_in is not None:
                check_ins.append(check_in)
            faces.append(self._decision(track))
        return TrackerUpdate(faces, check_ins)

    def confirm(self, *, track_id: int, person_id: int, now: float) -> CheckIn | None:
        """The person tapped their name in the grey zone: the check-in (None: done already)."""
        track = self._tracks.get(track_id)
        if track is None or person_id not in {c.person_id for c in track.offered}:
            raise NotOfferedError("That name was not offered for this face")
        distance = next(c.distance for c in track.offered if c.person_id == person_id)
        check_in = self._settle(track, person_id, distance, now)
        track.state = FaceState.present  # the tap's answer greets; frames need not repeat it
        return check_in

    def _expire(self, now: float) -> None:
        ttl, cooldown = self.settings.track_ttl_s, self.settings.cooldown_s
        self._tracks = {k: t for k, t in self._tracks.items() if now - t.last_seen <= ttl}
        self._checked_in = {p: t for p, t in self._checked_in.items() if now - t < cooldown}

    def _associate(self, boxes: list[Box]) -> dict[int, _Track]:
        """Greedy matching of boxes to live tracks, best score first (see _affinity)."""
        scored = sorted(
            (
                (self._affinity(box, track.box), index, track.id)
                for index, box in enumerate(boxes)
                for track in self._tracks.values()
            ),
            reverse=True,
        )
        pairs: dict[int, _Track] = {}
        used: set[int] = set()
        for score, index, track_id in scored:
            if score <= 0:
                break
            if index not in pairs and track_id not in used:
                pairs[index] = self._tracks[track_id]
                used.add(track_id)
        return pairs

    def _affinity(self, box: Box, previous: Box) -> float:
        """Overlap when the boxes overlap enough; else a small score for a face of the same
        size that moved less than `max_shift` of its size (a few frames a second on a moving
        head leave little overlap)."""
        overlap = box.iou(previous)
        if overlap >= self.settings.iou_min:
            return overlap
        size, before = max(box.size, 1), max(previous.size, 1)
        if not 0.67 <= size / before <= 1.5:
            return 0.0
        shift = _centre_distance(box, previous) / max(size, before)
        return (
            0.01 * (1 - shift / self.settings.max_shift) if shift < self.settings.max_shift else 0.0
        )

    def _new_track(self, box: Box, now: float) -> _Track:
        track = _Track(id=next(self._ids), box=box, last_seen=now)
        if self.settings.liveness is not None:
            track.liveness = LivenessCheck(self.settings.liveness)
        self._tracks[track.id] = track
        return track

    def _observe(self, track: _Track, observation: Observation, now: float) -> CheckIn | None:
        if track.liveness is not None and observation.landmarks is not None:
            track.liveness.update(observation.landmarks, now)
        match = observation.match
        if match is None:
            return None  # not re-encoded: the track keeps its state
        track.verified_at = now
        if match.verdict == Verdict.accept:
            return self._on_accept(track, match, now)
        if track.person_id is not None and match.person_id == track.person_id:
            return None  # a weaker frame of a settled face does not unsettle it
        # A grey or unknown frame (eyes closed, head turned) unsettles the face but keeps the
        # accepted frames: agreement needs two frames within the window, not in a row.
        track.person_id, track.distance = None, None
        if match.verdict == Verdict.grey:
            self._on_grey(track, match, now)
        else:
            self._on_unknown(track, now)
        return None

    def _on_accept(self, track: _Track, match: Match, now: float) -> CheckIn | None:
        person_id, distance = match.person_id, match.distance
        assert person_id is not None
        assert distance is not None
        if track.person_id is not None and track.person_id != person_id:
            self._unsettle(track)  # someone else stands in this box now
        elif track.accepts and track.accepts[-1][1] != person_id:
            track.accepts.clear()  # frames of two different people never add up
        track.unknown_since = None
        track.accepts.append((now, person_id, distance))
        _prune(track.accepts, now - self.settings.window_s)
        agreeing = [d for _, p, d in track.accepts if p == person_id]
        if track.person_id == person_id:
            track.state = FaceState.present
            return None
        if len(agreeing) < self.settings.frames_required:
            track.state = FaceState.detecting
            return None
        if track.liveness is not None and not track.liveness.passed:
            track.state = FaceState.blink
            track.person_id, track.distance = None, min(agreeing)
            return None
        return self._settle(track, person_id, min(agreeing), now)

    def _settle(self, track: _Track, person_id: int, distance: float, now: float) -> CheckIn | None:
        track.person_id, track.distance, track.verified_at = person_id, distance, now
        track.offered = ()
        if person_id in self._checked_in:
            track.state = FaceState.present
            return None
        self._checked_in[person_id] = now
        track.state = FaceState.checked_in
        return CheckIn(person_id=person_id, distance=distance, track_id=track.id, at=now)

    def _on_grey(self, track: _Track, match: Match, now: float) -> None:
        track.unknown_since = None
        track.greys.append((now, match))
        _prune(track.greys, now - self.settings.window_s)
        best = match.person_id
        agreeing = [m for _, m in track.greys if m.person_id == best]
        if len(agreeing) >= self.settings.frames_required:
            track.state = FaceState.confirm
            track.offered = match.candidates
        else:
            track.state = FaceState.detecting

    def _on_unknown(self, track: _Track, now: float) -> None:
        if track.unknown_since is None:
            track.unknown_since = now
        track.state = FaceState.unknown
        track.offered = ()

    def _unsettle(self, track: _Track) -> None:
        track.person_id, track.distance = None, None
        track.accepts.clear()

    def _decision(self, track: _Track) -> FaceDecision:
        # No name before the liveness challenge is met: a photo held up learns nothing.
        person_id = track.person_id
        distance = track.distance
        if track.state == FaceState.confirm:
            person_id = track.offered[0].person_id if track.offered else None
            distance = track.offered[0].distance if track.offered else None
        if track.state == FaceState.checked_in:
            # Say "checked in" once; the next frames greet the person as present.
            track.state = FaceState.present
            return FaceDecision(track.id, track.box, FaceState.checked_in, person_id, distance)
        candidates = track.offered if track.state == FaceState.confirm else ()
        return FaceDecision(track.id, track.box, track.state, person_id, distance, candidates)


def _prune(items: "deque[Any]", oldest: float) -> None:
    while items and items[0][0] < oldest:
        items.popleft()


def _centre_distance(a: Box, b: Box) -> float:
    dx = (a.left + a.right - b.left - b.right) / 2
    dy = (a.top + a.bottom - b.top - b.bottom) / 2
    return float((dx * dx + dy * dy) ** 0.5)
