"""One kiosk's pipeline around the pool: what to ask of each frame, and what it decided.

    kiosk = Kiosk.from_policy(name="Door A", policy=policy)       # per kiosk connection
    options = kiosk.frame_options(now)                            # skip settled faces
    analysis = await pool.run(engine.analyse_frame, data, options)
    update = kiosk.decide(analysis, gallery, now)                 # faces + check-ins
    arrivals.record_arrivals(..., recognised=update.check_ins, ...)  # in a thread

Pure and synchronous apart from the pool call, which the caller makes; `now` is any
monotonic clock in seconds (time.monotonic() in the server, frame times in tests).
"""

from dataclasses import dataclass, replace

import numpy as np

from checkin.engine import (
    EMBEDDING_SIZE,
    KIOSK_DETECTION,
    DetectOptions,
    Embeddings,
    FrameAnalysis,
    FrameOptions,
)
from checkin.liveness import LivenessSettings
from checkin.matching import Gallery, Match, Thresholds, match_faces
from checkin.policy import thresholds as policy_thresholds
from checkin.tracker import CheckIn, KioskTracker, Observation, TrackerSettings, TrackerUpdate
from models import CheckinPolicy


@dataclass(frozen=True)
class KioskSettings:
    thresholds: Thresholds = Thresholds()
    tracker: TrackerSettings = TrackerSettings()
    detect: DetectOptions = KIOSK_DETECTION


class Kiosk:
    """The tracker and thresholds of one kiosk."""

    def __init__(self, *, name: str, settings: KioskSettings | None = None) -> None:
        self.name = name
        self.settings = settings or KioskSettings()
        self.tracker = KioskTracker(self.settings.tracker)

    @classmethod
    def from_policy(cls, *, name: str, policy: CheckinPolicy) -> "Kiosk":
        """A kiosk with the meeting's thresholds and liveness requirement."""
        liveness = LivenessSettings() if policy.require_liveness else None
        tracker = replace(TrackerSettings(), liveness=liveness)
        return cls(name=name, settings=KioskSettings(policy_thresholds(policy), tracker))

    @property
    def needs_landmarks(self) -> bool:
        return self.settings.tracker.liveness is not None

    def frame_options(self, now: float) -> FrameOptions:
        """The engine options for the next frame: faces settled a moment ago are not re-encoded."""
        return FrameOptions(
            detect=self.settings.detect,
            skip_boxes=self.tracker.skip_boxes(now),
            landmarks=self.needs_landmarks,
        )

    def decide(self, analysis: FrameAnalysis, gallery: Gallery, now: float) -> TrackerUpdate:
        """Match the frame's new embeddings against the gallery and update the tracks."""
        encoded = [face.embedding for face in analysis.faces if face.embedding is not None]
        matches = iter(match_faces(gallery, _stack(encoded), self.settings.thresholds))
        observations = [
            Observation(
                box=face.box,
                match=next(matches) if face.embedding is not None else None,
                landmarks=face.landmarks,
            )
            for face in analysis.faces
        ]
        return self.tracker.update(observations, now)

    def confirm(self, *, track_id: int, person_id: int, now: float) -> CheckIn | None:
        """A name tapped in the grey zone (see KioskTracker.confirm)."""
        return self.tracker.confirm(track_id=track_id, person_id=person_id, now=now)


def decide_once(analysis: FrameAnalysis, gallery: Gallery, thresholds: Thresholds) -> list[Match]:
    """Single-image decisions (no tracker): one match per face that has an embedding."""
    encoded = [face.embedding for face in analysis.faces if face.embedding is not None]
    return match_faces(gallery, _stack(encoded), thresholds)


def _stack(embeddings: list[Embeddings]) -> Embeddings:
    if not embeddings:
        return np.empty((0, EMBEDDING_SIZE), dtype=np.float32)
    return np.stack(embeddings).astype(np.float32)
