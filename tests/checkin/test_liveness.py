"""Liveness from landmarks: a photo - repeated, tilted or turned - never passes; a blink does."""

import cv2
import numpy as np
import pytest

from checkin import engine
from checkin.engine import FrameAnalysis, FrameOptions
from checkin.liveness import (
    Challenge,
    LivenessCheck,
    LivenessSettings,
    Points,
    eye_openness,
    yaw_ratio,
)
from checkin.matching import Candidate, Match, Verdict
from checkin.tracker import FaceState, KioskTracker, Observation, TrackerSettings
from tests.faces import PROBES


@pytest.fixture(scope="module")
def face_points(probe_analyses: dict[str, FrameAnalysis]) -> Points:
    points = probe_analyses["obama-480p.jpg"].faces[0].landmarks
    assert points is not None
    return points


def closed_eyes(points: Points) -> Points:
    """The same face with both upper eyelids lowered onto the lower ones."""
    shut = points.copy()
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        shut[upper, 1] = shut[lower, 1] - 0.5
    return shut


def squashed(image: np.ndarray, fx: float = 1.0, fy: float = 1.0) -> bytes:
    """The photo scaled on one axis: a flat picture tilted back (fy) or turned (fx)."""
    height, width = image.shape[:2]
    resized = cv2.resize(image, (round(width * fx), round(height * fy)))
    ok, buffer = cv2.imencode(".jpg", resized, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return buffer.tobytes()


def landmarks_of(data: bytes) -> Points:
    """Detection and landmarks only (no embedding): the engine's steps for liveness."""
    image = engine.decode_image(data)
    [box] = engine.detect_faces(image, engine.PHOTO_DETECTION)
    [points] = engine.face_landmarks(image, [box])
    return points


def test_a_static_photo_repeated_as_frames_does_not_pass(face_points: Points) -> None:
    check = LivenessCheck()
    for frame in range(30):
        assert not check.update(face_points, now=frame * 0.1)


def test_the_same_frame_sent_again_gives_the_same_landmarks(
    jpeg_bytes: bytes, probe_analyses: dict[str, FrameAnalysis]
) -> None:
    check = LivenessCheck()
    # The kiosk's own job, without embeddings: the face is skipped as already identified.
    box = probe_analyses["obama-480p.jpg"].faces[0].box
    options = FrameOptions(landmarks=True, skip_boxes=(box,))
    results = [engine.analyse_frame(jpeg_bytes, options).faces[0].landmarks for _ in range(3)]
    for index, points in enumerate(results):
        np.testing.assert_array_equal(points, results[0])
        assert not check.update(points, now=index * 0.2)


def test_a_photo_tilted_back_and_forth_does_not_pass() -> None:
    image = cv2.imread(str(PROBES / "obama-720p.jpg"))
    frames = [landmarks_of(squashed(image, fy=fy)) for fy in (1.0, 0.7, 1.0)]
    # The classic eye aspect ratio (opening over width) drops like a blink under the tilt...
    ear = [_classic_ear(points) for points in frames]
    assert ear[1] / ear[0] < 0.75
    # ... the openness measured against the nose bridge does not.
    openness = [eye_openness(points) for points in frames]
    assert openness[1] / openness[0] > 0.8
    check = LivenessCheck(LivenessSettings(challenge=Challenge.either))
    assert not any(check.update(points, now=i * 0.2) for i, points in enumerate(frames))


def test_a_photo_turned_left_and_right_does_not_pass_the_head_turn() -> None:
    image = cv2.imread(str(PROBES / "obama-720p.jpg"))
    frames = [landmarks_of(squashed(image, fx=fx)) for fx in (1.0, 0.7, 1.0)]
    yaws = [yaw_ratio(points) for points in frames]
    assert max(yaws) - min(yaws) < 0.1
    check = LivenessCheck(LivenessSettings(challenge=Challenge.turn))
    assert not any(check.update(points, now=i * 0.2) for i, points in enumerate(frames))


def test_a_blink_passes(face_points: Points) -> None:
    check = LivenessCheck(LivenessSettings(challenge=Challenge.blink))
    sequence = [face_points, face_points, closed_eyes(face_points), face_points]
    results = [check.update(points, now=i * 0.15) for i, points in enumerate(sequence)]
    assert results == [False, False, False, True]


def test_closed_eyes_that_never_open_do_not_pass(face_points: Points) -> None:
    check = LivenessCheck()
    for index in range(10):
        assert not check.update(closed_eyes(face_points), now=index * 0.1)


def test_a_head_turn_passes(face_points: Points) -> None:
    span = float(np.linalg.norm(face_points[42:48].mean(0) - face_points[36:42].mean(0)))
    turned = face_points.copy()
    turned[27:36, 0] += 0.35 * span  # the nose moves towards one eye
    check = LivenessCheck(LivenessSettings(challenge=Challenge.turn))
    assert not check.update(face_points, now=0.0)
    assert check.update(turned, now=0.3)


def test_old_evidence_is_forgotten(face_points: Points) -> None:
    check = LivenessCheck(LivenessSettings(window_s=2.0))
    check.update(face_points, now=0.0)
    check.update(closed_eyes(face_points), now=0.1)
    assert not check.update(face_points, now=5.0)


def test_with_liveness_required_a_photo_is_never_checked_in(face_points: Points) -> None:
    tracker = KioskTracker(TrackerSettings(liveness=LivenessSettings()))
    box = engine.Box(top=50, right=150, bottom=150, left=50)
    match = Match(Verdict.accept, (Candidate(1, 0.3),))
    for frame in range(20):
        update = tracker.update([Observation(box, match, face_points)], now=frame * 0.1)
        assert update.check_ins == []
    assert update.faces[0].state == FaceState.blink
    assert update.faces[0].person_id is None  # no name shown to a photo
    tracker.update([Observation(box, match, closed_eyes(face_points))], now=2.1)
    update = tracker.update([Observation(box, match, face_points)], now=2.2)
    assert [c.person_id for c in update.check_ins] == [1]


def _classic_ear(points: Points) -> float:
    def ear(eye: Points) -> float:
        vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
        return float(vertical / (2.0 * np.linalg.norm(eye[0] - eye[3])))

    return (ear(points[36:42]) + ear(points[42:48])) / 2.0
