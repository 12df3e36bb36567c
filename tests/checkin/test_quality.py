"""The quality rules of an enrolment frame (checkin.quality), each on its own and through the
engine's enrolment path, with variants of the shared photos made here: darkened, washed out,
blurred, two people side by side, a turned head, and its mirror image."""

import pickle
from functools import cache

import cv2
import numpy as np
import pytest

from checkin import engine, quality
from checkin.engine import RGBImage
from checkin.errors import (
    FaceQualityError,
    FaceTooBlurryError,
    FaceTooSmallError,
    MultipleFacesError,
    NoFaceFoundError,
)
from checkin.quality import (
    FaceTooBrightError,
    FaceTooDarkError,
    HeadPoseError,
    Pose,
    Step,
    head_pose,
    pose_fits,
    reason_of,
)
from tests.faces import PEOPLE, PROBES


@cache
def photo(relative: str) -> RGBImage:
    return engine.decode_image((PEOPLE / relative).read_bytes())


def frontal() -> RGBImage:
    return photo("obama/obama.jpg")  # looking at the camera


def turned() -> RGBImage:
    return photo("obama/obama2.jpg")  # head turned about 27 degrees to his right


def mirrored(image: RGBImage) -> RGBImage:
    return np.ascontiguousarray(image[:, ::-1])


def fit_height(image: RGBImage, height: int) -> RGBImage:
    width = round(image.shape[1] * height / image.shape[0])
    return np.asarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), np.uint8)


def refusal(image: RGBImage, step: Step | None = None) -> FaceQualityError:
    with pytest.raises(FaceQualityError) as caught:
        engine.enrolment_face(image, step)
    return caught.value


# -- each check on its own --------------------------------------------------------------------


def test_exactly_one_face() -> None:
    quality.check_face_count(1)
    with pytest.raises(NoFaceFoundError):
        quality.check_face_count(0)
    with pytest.raises(MultipleFacesError, match="2 faces"):
        quality.check_face_count(2)


def test_face_size() -> None:
    quality.check_size(quality.MIN_ENROL_FACE_PX)
    with pytest.raises(FaceTooSmallError, match="at least 80"):
        quality.check_size(quality.MIN_ENROL_FACE_PX - 1)


def test_sharpness() -> None:
    quality.check_sharpness(quality.MIN_ENROL_SHARPNESS)
    with pytest.raises(FaceTooBlurryError):
        quality.check_sharpness(quality.MIN_ENROL_SHARPNESS - 1)


def test_brightness_bounds() -> None:
    quality.check_brightness(quality.MIN_FACE_BRIGHTNESS)
    quality.check_brightness(quality.MAX_FACE_BRIGHTNESS)
    with pytest.raises(FaceTooDarkError, match="too dark"):
        quality.check_brightness(quality.MIN_FACE_BRIGHTNESS - 1)
    with pytest.raises(FaceTooBrightError, match="washed out"):
        quality.check_brightness(quality.MAX_FACE_BRIGHTNESS + 1)


def test_brightness_is_the_mean_luminance_of_the_crop() -> None:
    grey = np.full((10, 10, 3), 100, dtype=np.uint8)
    assert quality.brightness(grey) == pytest.approx(100, abs=1)
    assert quality.brightness(np.zeros((0, 0, 3), dtype=np.uint8)) == 0.0


def test_each_step_wants_its_own_yaw() -> None:
    assert pose_fits(Pose(yaw=0, pitch=0), Step.straight)
    assert not pose_fits(Pose(yaw=quality.STRAIGHT_YAW + 1, pitch=0), Step.straight)
    assert pose_fits(Pose(yaw=20, pitch=0), Step.left)
    assert not pose_fits(Pose(yaw=20, pitch=0), Step.right)
    assert pose_fits(Pose(yaw=-20, pitch=0), Step.right)
    assert not pose_fits(Pose(yaw=5, pitch=0), Step.left)  # not turned enough
    assert not pose_fits(Pose(yaw=quality.MAX_YAW + 5, pitch=0), Step.left)  # too far


@pytest.mark.parametrize(
    ("pose", "step", "reason"),
    [
        (Pose(yaw=25, pitch=0), Step.straight, "look_straight"),
        (Pose(yaw=0, pitch=0), Step.left, "turn_left"),
        (Pose(yaw=0, pitch=0), Step.right, "turn_right"),
        (Pose(yaw=50, pitch=0), None, "look_straight"),  # an upload: any usable pose
        (Pose(yaw=0, pitch=40), Step.straight, "look_down"),  # chin up
        (Pose(yaw=0, pitch=-40), None, "look_up"),
    ],
)
def test_a_wrong_pose_says_what_to_do(pose: Pose, step: Step | None, reason: str) -> None:
    with pytest.raises(HeadPoseError) as caught:
        quality.check_pose(pose, step)
    assert reason_of(caught.value) == reason
    assert caught.value.pose == pose


def test_a_pose_error_survives_the_trip_from_a_worker() -> None:
    error = HeadPoseError("Turn", reason="turn_left", pose=Pose(yaw=1.0, pitch=2.0))
    back = pickle.loads(pickle.dumps(error))
    assert (back.detail, back.reason, back.pose, back.status_code) == (
        "Turn",
        "turn_left",
        Pose(1.0, 2.0),
        422,
    )


def test_reason_codes() -> None:
    assert reason_of(NoFaceFoundError("x")) == "no_face"
    assert reason_of(MultipleFacesError("x")) == "several_faces"
    assert reason_of(FaceTooSmallError("x")) == "too_small"
    assert reason_of(FaceTooBlurryError("x")) == "blurry"
    assert reason_of(FaceTooDarkError("x")) == "too_dark"
    assert reason_of(FaceTooBrightError("x")) == "too_bright"


# -- head pose from real landmarks --------------------------------------------------------------


def landmarks_of(image: RGBImage) -> np.ndarray:
    [box] = engine.detect_faces(image, engine.ENROL_DETECTION)
    return engine.face_landmarks(image, [box])[0]


def test_head_pose_of_a_frontal_and_a_turned_face() -> None:
    straight = head_pose(landmarks_of(frontal()))
    assert abs(straight.yaw) < quality.STRAIGHT_YAW
    assert abs(straight.pitch) < quality.MAX_PITCH
    right = head_pose(landmarks_of(turned()))
    assert -quality.MAX_YAW < right.yaw < -quality.TURN_MIN_YAW  # his own right
    left = head_pose(landmarks_of(mirrored(turned())))
    assert quality.TURN_MIN_YAW < left.yaw < quality.MAX_YAW
    assert left.yaw == pytest.approx(-right.yaw, abs=5)  # a mirror turns the other way


def test_pitch_follows_the_nose_between_eyes_and_mouth() -> None:
    points = landmarks_of(frontal()).copy()
    level = head_pose(points).pitch
    eyes = (points[36:42, 1].mean() + points[42:48, 1].mean()) / 2
    points[quality.NOSE_TIP, 1] = eyes + 0.05 * (points[48, 1] - eyes)  # nose high: chin up
    tilted = head_pose(points)
    assert tilted.pitch > quality.MAX_PITCH > level
    with pytest.raises(HeadPoseError) as caught:
        quality.check_pose(tilted, Step.straight)
    assert caught.value.reason == "look_down"


# -- the engine's enrolment path: uploads and guided frames share these rules ------------------


def test_a_good_photo_passes_with_its_measures() -> None:
    face = engine.enrolment_face(frontal(), Step.straight)
    assert face.pose is not None
    assert abs(face.pose.yaw) < quality.STRAIGHT_YAW
    assert quality.MIN_FACE_BRIGHTNESS < face.brightness < quality.MAX_FACE_BRIGHTNESS
    assert face.sharpness >= quality.MIN_ENROL_SHARPNESS
    assert face.embedding.shape == (engine.EMBEDDING_SIZE,)


def test_a_dark_photo_is_refused_as_too_dark() -> None:
    dark = (frontal().astype(np.float32) * 0.2).astype(np.uint8)
    error = refusal(dark)
    assert isinstance(error, FaceTooDarkError), error
    assert reason_of(error) == "too_dark"


def test_a_washed_out_photo_is_refused_as_too_bright() -> None:
    bright = np.clip(frontal().astype(np.float32) * 2.0 + 40, 0, 255).astype(np.uint8)
    assert reason_of(refusal(bright)) == "too_bright"


def test_a_blurred_photo_is_refused_as_blurry() -> None:
    blurred = np.asarray(cv2.GaussianBlur(frontal(), (0, 0), 6), dtype=np.uint8)
    assert reason_of(refusal(blurred)) == "blurry"


def test_two_people_are_refused() -> None:
    left, right = frontal(), photo("rose_leslie/img2.jpg")
    height = min(left.shape[0], right.shape[0])
    both = np.ascontiguousarray(np.hstack([fit_height(left, height), fit_height(right, height)]))
    assert reason_of(refusal(both)) == "several_faces"


def test_no_face_and_a_small_face() -> None:
    wall = np.full((300, 400, 3), 180, dtype=np.uint8)
    assert reason_of(refusal(wall)) == "no_face"
    small = engine.decode_image((PROBES / "obama-240p.jpg").read_bytes())
    assert reason_of(refusal(small)) == "too_small"


def test_a_turned_head_fits_only_its_side() -> None:
    assert reason_of(refusal(turned(), Step.straight)) == "look_straight"
    assert reason_of(refusal(turned(), Step.left)) == "turn_left"
    assert engine.enrolment_face(turned(), Step.right).pose is not None
    assert engine.enrolment_face(mirrored(turned()), Step.left).pose is not None
    assert reason_of(refusal(frontal(), Step.left)) == "turn_left"


def test_an_upload_takes_any_usable_pose_and_the_same_checks() -> None:
    engine.enrolment_face(turned())  # no step: a turned head within MAX_YAW is fine
    dark = (frontal().astype(np.float32) * 0.2).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(dark, cv2.COLOR_RGB2BGR))
    assert ok
    with pytest.raises(FaceTooDarkError):
        engine.analyse_enrolment_photo(jpeg.tobytes())
