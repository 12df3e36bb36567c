"""Liveness: a blink (or head-turn) challenge read from 68-point landmarks across frames.

How it works. For each tracked face we follow two signals, frame by frame:
- eye openness: the eyes' vertical opening (the eye aspect ratio's numerator, both eyes)
  divided by the nose bridge's length. Dividing by a vertical length of the same face, not
  by the eye's width as the classic EAR does, makes it blind to a photo tilted backwards,
  which shrinks every vertical distance alike. A blink is open -> closed (under 60% of the
  face's open level) -> open again (over 85%), with both eyes together.
- yaw: where the nose tip sits between the eyes, as a fraction of the distance between
  them. A flat picture turned left or right shrinks horizontally as a whole, so the ratio
  stays put; a real head turning changes it.

What it stops: a printed photo, or a still image on a phone or tablet, held to the camera -
moved, tilted or turned - and the same frame sent again and again. Those never blink and
their nose never moves between the eyes.

What it does not stop: a video replay of the person blinking or turning (a phone playing
a clip passes), a 3-D mask, a photo with the eyes cut out and a real person's eyes behind
it, or an attacker who controls the frames sent to the server (a forged kiosk client). The
landmark model is also noisy on small faces, in profile and with glasses glare, so a real
person may need to blink twice. It is a deterrent for the door of a meeting room with
staff nearby, not certified presentation-attack detection (ISO/IEC 30107-3); meetings where
an impostor would matter should keep the secretariat watching the check-in desk.
"""

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float32]  # (68, 2)

LEFT_EYE = slice(36, 42)
RIGHT_EYE = slice(42, 48)
NOSE_BRIDGE_TOP, NOSE_BRIDGE_BOTTOM = 27, 30
NOSE_TIP = 33


class Challenge(StrEnum):
    blink = "blink"
    turn = "turn"
    either = "either"


@dataclass(frozen=True)
class LivenessSettings:
    challenge: Challenge = Challenge.either
    closed_ratio: float = 0.60  # openness under this share of the open level: eyes closed
    open_ratio: float = 0.85  # over this share: open again
    turn_delta: float = 0.25  # nose moves this share of the eye distance: a head turn
    window_s: float = 6.0  # evidence older than this is forgotten


def eye_openness(points: Points) -> float:
    """Both eyes' vertical opening over the nose bridge's length (tilt-invariant)."""
    opening = _eye_opening(points[LEFT_EYE]) + _eye_opening(points[RIGHT_EYE])
    bridge = float(np.linalg.norm(points[NOSE_BRIDGE_BOTTOM] - points[NOSE_BRIDGE_TOP]))
    return opening / bridge if bridge > 0 else 0.0


def _eye_opening(eye: Points) -> float:
    # Points p1..p6 around the eye: (|p2-p6| + |p3-p5|) / 2, the EAR's numerator.
    return float(np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])) / 2.0


def yaw_ratio(points: Points) -> float:
    """Where the nose tip is between the eye centres: 0 midway, +-0.5 at an eye."""
    left = points[LEFT_EYE].mean(axis=0)
    right = points[RIGHT_EYE].mean(axis=0)
    span = float(np.linalg.norm(right - left))
    if span <= 0:
        return 0.0
    middle = (left + right) / 2.0
    axis = (right - left) / span
    return float(np.dot(points[NOSE_TIP] - middle, axis)) / span


@dataclass
class LivenessCheck:
    """The challenge for one tracked face; feed it landmarks as frames arrive."""

    settings: LivenessSettings = field(default_factory=LivenessSettings)
    passed: bool = False
    _samples: deque[tuple[float, float, float]] = field(default_factory=deque)

    def update(self, points: Points, now: float) -> bool:
        """Add a frame's landmarks; True once the challenge has been met."""
        if self.passed:
            return True
        self._samples.append((now, eye_openness(points), yaw_ratio(points)))
        while self._samples and self._samples[0][0] < now - self.settings.window_s:
            self._samples.popleft()
        self.passed = self._blinked() or self._turned()
        return self.passed

    def _blinked(self) -> bool:
        if self.settings.challenge == Challenge.turn:
            return False
        openness = [value for _, value, _ in self._samples]
        return _has_blink(openness, self.settings)

    def _turned(self) -> bool:
        if self.settings.challenge == Challenge.blink or len(self._samples) < 2:
            return False
        yaws = [value for _, _, value in self._samples]
        return max(yaws) - min(yaws) >= self.settings.turn_delta


def _has_blink(openness: list[float], settings: LivenessSettings) -> bool:
    """An open -> closed -> open sequence, relative to the face's own open level."""
    if len(openness) < 3:
        return False
    level = max(openness)
    if level <= 0:
        return False
    phase = "open"
    for value in openness:
        ratio = value / level
        if phase == "open" and ratio < settings.closed_ratio:
            phase = "closed"
        elif phase == "closed" and ratio > settings.open_ratio:
            return True
    return False
