"""The quality rules of one enrolment frame, shared by uploads and the guided camera capture.

Pure numpy/OpenCV over values the engine measured (face count, face box, landmarks, a crop):
no ORM, no dlib, because it runs inside the face worker processes. Each refusal is a
FaceQualityError with a stable reason code (reason_of) the pages translate, and a detail saying
what is wrong in English for the API.

Head pose comes from dlib's 68 landmarks with a simple geometric model rather than solvePnP:
on our photos solvePnP with a generic 3D head flips between equivalent Euler solutions
(pitch near +-180 degrees), while these ratios are stable and mirror exactly when the image
is flipped. Yaw: the nose tip's horizontal offset between the jaw's two ends, read as a
cylinder whose nose stands 0.8 radius in front of the axis. Pitch: the nose tip's height
between the eyes and the mouth, about 0.55 of the way down for a level head.
"""

import math
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

from checkin.errors import (
    FaceQualityError,
    FaceTooBlurryError,
    FaceTooSmallError,
    MultipleFacesError,
    NoFaceFoundError,
)

# Face box side and sharpness (variance of the Laplacian of the face at 128x128, see
# engine.sharpness): our enrolment photos measure 61-1415; a blur of 2% of the face's size
# brings them under 11.
MIN_ENROL_FACE_PX = 80
MIN_ENROL_SHARPNESS = 25.0
# Mean luminance (0-255) of the face box: our photos measure 106-147; a face under 40 is in
# the dark (its features are noise), over 225 is washed out by a flash or a window.
MIN_FACE_BRIGHTNESS = 40.0
MAX_FACE_BRIGHTNESS = 225.0
# Head pose in degrees. A guided "straight" frame is within STRAIGHT_YAW of frontal; a
# "slightly left/right" frame turned between TURN_MIN_YAW and MAX_YAW to that side. Any
# enrolment frame (an upload too) stays within MAX_YAW and MAX_PITCH: beyond, the embedding
# drifts away from the person's frontal ones (our photos reach 30 and 24 degrees).
STRAIGHT_YAW = 10.0
TURN_MIN_YAW = 12.0
MAX_YAW = 40.0
MAX_PITCH = 30.0
NOSE_DEPTH = 0.8  # nose tip in front of the head's axis, in head radii (yaw model)
LEVEL_NOSE_HEIGHT = 0.55  # nose tip between eye line (0) and mouth line (1) for a level head
PITCH_DEPTH = 0.6  # the same cylinder model, vertically

# 68-point landmark indices (dlib / iBUG 300-W).
JAW_LEFT, JAW_RIGHT, NOSE_TIP = 0, 16, 30
LEFT_EYE, RIGHT_EYE = slice(36, 42), slice(42, 48)
MOUTH_LEFT, MOUTH_RIGHT = 48, 54

Landmarks = npt.NDArray[np.float32]


class Step(StrEnum):
    """A guided capture step: where the person looks (their own left or right)."""

    straight = "straight"
    left = "left"
    right = "right"


GUIDED_STEPS = (Step.straight, Step.left, Step.right)


@dataclass(frozen=True)
class Pose:
    """Head pose in degrees. yaw > 0: turned to the person's own left (image right, as a
    front camera sees them, unmirrored); pitch > 0: chin up."""

    yaw: float
    pitch: float

    def as_dict(self) -> dict[str, float]:
        return {"yaw": round(self.yaw, 1), "pitch": round(self.pitch, 1)}


class FaceTooDarkError(FaceQualityError):
    pass


class FaceTooBrightError(FaceQualityError):
    pass


class HeadPoseError(FaceQualityError):
    """The head is turned or tilted the wrong way for the step; `pose` says how it is."""

    # Defaults, so that the error pickles back from a worker process (rebuilt from its
    # message, then its attributes restored).
    def __init__(
        self, detail: str, *, reason: str = "look_straight", pose: Pose | None = None
    ) -> None:
        super().__init__(detail, field="photo")
        self.reason = reason  # look_straight, turn_left, turn_right, look_up, look_down
        self.pose = pose


# The reason code of each refusal the engine raises (HeadPoseError carries its own).
REASONS: dict[type[FaceQualityError], str] = {
    NoFaceFoundError: "no_face",
    MultipleFacesError: "several_faces",
    FaceTooSmallError: "too_small",
    FaceTooBlurryError: "blurry",
    FaceTooDarkError: "too_dark",
    FaceTooBrightError: "too_bright",
}


def reason_of(error: FaceQualityError) -> str:
    """The stable reason code of a refused frame."""
    own = getattr(error, "reason", None)
    if isinstance(own, str):
        return own
    return next((code for kind, code in REASONS.items() if isinstance(error, kind)), "quality")


def check_face_count(count: int) -> None:
    if count == 0:
        raise NoFaceFoundError("No face was found in the photo", field="photo")
    if count > 1:
        raise MultipleFacesError(
            f"{count} faces were found; the photo must show exactly one person", field="photo"
        )


def check_size(face_px: int) -> None:
    if face_px < MIN_ENROL_FACE_PX:
        raise FaceTooSmallError(
            f"The face is {face_px} pixels wide; at least {MIN_ENROL_FACE_PX} are needed",
            field="photo",
        )


def brightness(face: npt.NDArray[np.uint8]) -> float:
    """Mean luminance (0-255) of an RGB face crop."""
    if face.size == 0:
        return 0.0
    return float(cv2.cvtColor(face, cv2.COLOR_RGB2GRAY).mean())


def check_brightness(value: float) -> None:
    if value < MIN_FACE_BRIGHTNESS:
        raise FaceTooDarkError(
            f"The face is too dark (brightness {value:.0f}, at least {MIN_FACE_BRIGHTNESS:.0f})",
            field="photo",
        )
    if value > MAX_FACE_BRIGHTNESS:
        raise FaceTooBrightError(
            f"The face is washed out (brightness {value:.0f}, at most {MAX_FACE_BRIGHTNESS:.0f})",
            field="photo",
        )


def check_sharpness(value: float) -> None:
    if value < MIN_ENROL_SHARPNESS:
        raise FaceTooBlurryError(
            f"The face is too blurry (sharpness {value:.0f}, at least {MIN_ENROL_SHARPNESS:.0f})",
            field="photo",
        )


def head_pose(points: Landmarks) -> Pose:
    """Yaw and pitch, in degrees, from the 68 landmarks of one face."""
    nose = points[NOSE_TIP]
    to_left = float(nose[0] - points[JAW_LEFT][0])
    to_right = float(points[JAW_RIGHT][0] - nose[0])
    width = to_left + to_right
    offset = (to_left - to_right) / width if width > 0 else 0.0
    eyes_y = float((points[LEFT_EYE, 1].mean() + points[RIGHT_EYE, 1].mean()) / 2)
    mouth_y = float((points[MOUTH_LEFT][1] + points[MOUTH_RIGHT][1]) / 2)
    height = mouth_y - eyes_y
    down = (float(nose[1]) - eyes_y) / height if height > 0 else LEVEL_NOSE_HEIGHT
    yaw = math.degrees(math.atan(offset / NOSE_DEPTH))
    pitch = math.degrees(math.atan((LEVEL_NOSE_HEIGHT - down) / PITCH_DEPTH))
    return Pose(yaw=yaw, pitch=pitch)


def check_pose(pose: Pose, step: Step | None = None) -> None:
    """The pose any enrolment frame needs, and the one the guided step asks for."""
    if abs(pose.pitch) > MAX_PITCH:
        reason = "look_down" if pose.pitch > 0 else "look_up"
        tilt = abs(pose.pitch)
        raise HeadPoseError(
            f"The head is tilted {tilt:.0f} degrees; keep it level", reason=reason, pose=pose
        )
    if step is None and abs(pose.yaw) <= MAX_YAW:
        return
    if step is not None and pose_fits(pose, step):
        return
    turn = abs(pose.yaw)
    if step is Step.left:
        raise HeadPoseError(
            f"Turn the head slightly to the left (it is turned {turn:.0f} degrees)",
            reason="turn_left",
            pose=pose,
        )
    if step is Step.right:
        raise HeadPoseError(
            f"Turn the head slightly to the right (it is turned {turn:.0f} degrees)",
            reason="turn_right",
            pose=pose,
        )
    raise HeadPoseError(
        f"The head is turned {turn:.0f} degrees; look straight at the camera",
        reason="look_straight",
        pose=pose,
    )


def pose_fits(pose: Pose, step: Step) -> bool:
    """Whether the yaw is what the step asks: frontal, or slightly to the person's side."""
    if step is Step.straight:
        return abs(pose.yaw) <= STRAIGHT_YAW
    side = pose.yaw if step is Step.left else -pose.yaw
    return TURN_MIN_YAW <= side <= MAX_YAW
