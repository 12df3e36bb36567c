"""The face engine: decode, detect, encode. Pure and synchronous: bytes in, arrays out.

Runs inside the process pool's workers (checkin.pool), never on the event loop. dlib's models
are loaded on first use, once per process (`load_models` is the pool's initializer).

Detection runs dlib's HOG detector on a resized copy chosen so the smallest face asked for
is about the detector's 80-pixel window: large photos are shrunk (fast), small kiosk frames are
enlarged a little (so a face at two metres is still found). Embeddings are computed from the
original pixels at the mapped boxes, with dlib's 5-point alignment ("small" model): on our
photos it gives the same decisions as the 68-point one and is about 10% faster.
"""

import functools
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from checkin import quality
from checkin.quality import MIN_ENROL_FACE_PX as MIN_ENROL_FACE_PX  # re-exported
from checkin.quality import MIN_ENROL_SHARPNESS as MIN_ENROL_SHARPNESS
from checkin.quality import Pose, Step
from core.imagemeta import decode_pixels
from core.images import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    check_limits,
)

EMBEDDING_SIZE = 128
# dlib's frontal HOG detector scans an 80x80 window; faces smaller than that are missed.
DETECTOR_WINDOW_PX = 80
# Enrolment quality (face size, sharpness, brightness, pose) is checkin.quality's rule set.
# Sharpness: the variance of the Laplacian of the face resized to 128x128 (scale-free).
SHARPNESS_SIDE = 128
# A detected face overlapping a skip box this much is the same, already identified face.
SKIP_IOU = 0.5

RGBImage = npt.NDArray[np.uint8]
Embeddings = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Box:
    """A face box in source-image pixels, in face_recognition's (top, right, bottom, left)."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def size(self) -> int:
        """The shorter side: how large the face is."""
        return min(self.width, self.height)

    @property
    def area(self) -> int:
        return max(self.width, 0) * max(self.height, 0)

    def css(self) -> tuple[int, int, int, int]:
        return (self.top, self.right, self.bottom, self.left)

    def iou(self, other: "Box") -> float:
        """Intersection over union of two boxes (0 when apart)."""
        inter = Box(
            max(self.top, other.top),
            min(self.right, other.right),
            min(self.bottom, other.bottom),
            max(self.left, other.left),
        )
        if inter.width <= 0 or inter.height <= 0:
            return 0.0
        union = self.area + other.area - inter.area
        return inter.area / union if union else 0.0


@dataclass(frozen=True)
class DetectOptions:
    """How small a face to look for: max(min_face_px, min_face_fraction x longest side)."""

    min_face_px: int = 64
    min_face_fraction: float = 0.0
    max_side: int = 1280  # the detection copy's longest side never exceeds this

    def scale_for(self, width: int, height: int) -> float:
        longest = max(width, height)
        min_face = max(self.min_face_px, self.min_face_fraction * longest)
        return min(DETECTOR_WINDOW_PX / min_face, self.max_side / longest, 2.0)


# A kiosk frame (640x480): faces from 80 px, about 1.6 m from a webcam, found on the frame
# itself. From 64 px (2 m) HOG would run on an 800x600 copy at twice the cost, and a person
# checking in stands closer than that.
KIOSK_DETECTION = DetectOptions(min_face_px=80, max_side=1024)
# A photo (single-frame check-in, eval): faces from 48 px or 1/16 of the longest side.
PHOTO_DETECTION = DetectOptions(min_face_px=48, min_face_fraction=1 / 16, max_side=1280)
# An enrolment photo: a face under MIN_ENROL_FACE_PX is refused anyway; looking down to 64 px
# reports such a face as too small rather than missing.
ENROL_DETECTION = DetectOptions(min_face_px=64, min_face_fraction=1 / 12, max_side=1024)


@dataclass(frozen=True)
class FrameOptions:
    """What a frame job computes: which faces to find, which to skip, whether landmarks."""

    detect: DetectOptions = KIOSK_DETECTION
    skip_boxes: tuple[Box, ...] = ()
    landmarks: bool = False


@dataclass(frozen=True)
class Face:
    """One detected face: its box, and its embedding and landmarks when they were computed."""

    box: Box
    # Never printed: an embedding must not reach a log line (repr=False).
    embedding: Embeddings | None = field(default=None, repr=False)
    landmarks: npt.NDArray[np.float32] | None = field(default=None, repr=False)  # (68, 2)


@dataclass(frozen=True)
class FrameAnalysis:
    width: int
    height: int
    faces: list[Face]
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class EnrolmentFace:
    """The single usable face of an enrolment photo."""

    embedding: Embeddings = field(repr=False)
    box: Box
    sharpness: float
    width: int
    height: int
    brightness: float = 0.0
    pose: Pose | None = None


@functools.cache
def _fr() -> ModuleType:
    # Importing face_recognition loads every dlib model (about 130 MB), so it is deferred
    # until a process actually does face work.
    import face_recognition

    return face_recognition


def load_models() -> None:
    """Load dlib's models now (a pool worker's initializer); one OpenCV thread per process."""
    cv2.setNumThreads(1)
    _fr()


def decode_image(
    data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS
) -> RGBImage:
    """JPEG, PNG, WebP or HEIC bytes to an upright RGB array, once the header passed the limits.

    Upright: the orientation a phone records is applied before any face is looked for.
    """
    info = check_limits(data, max_bytes=max_bytes, max_pixels=max_pixels)
    return to_rgb(decode_pixels(data, info, max_pixels=max_pixels))


def to_rgb(image: npt.NDArray[Any]) -> RGBImage:
    """Any decoded OpenCV image (grey, BGR, BGRA, 16-bit) as 8-bit RGB."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    if image.ndim == 2 or image.shape[2] == 1:
        return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_GRAY2RGB))
    if image.shape[2] == 4:
        return _flatten_alpha(image)
    return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def _flatten_alpha(bgra: npt.NDArray[np.uint8]) -> RGBImage:
    # Transparent pixels may hold any colour; lay the image on white as a viewer would.
    rgb = cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGB)
    alpha = bgra[:, :, 3:4]
    if alpha.min() == 255:
        return np.ascontiguousarray(rgb)
    weight = alpha.astype(np.uint16)
    flat = (rgb * weight + 255 * (255 - weight) + 127) // 255
    return np.ascontiguousarray(flat.astype(np.uint8))


def detect_faces(image: RGBImage, options: DetectOptions = PHOTO_DETECTION) -> list[Box]:
    """Face boxes in image pixels, found by HOG on a copy resized for the options."""
    height, width = image.shape[:2]
    scale = options.scale_for(width, height)
    work: npt.NDArray[Any] = image
    if abs(scale - 1.0) > 0.02:
        size = (max(round(width * scale), 1), max(round(height * scale), 1))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        work = cv2.resize(image, size, interpolation=interpolation)
    else:
        scale = 1.0
    found = _fr().face_locations(work, number_of_times_to_upsample=0, model="hog")
    return [_scaled_box(css, scale, width, height) for css in found]


def _scaled_box(css: tuple[int, int, int, int], scale: float, width: int, height: int) -> Box:
    top, right, bottom, left = (round(value / scale) for value in css)
    return Box(max(top, 0), min(right, width), min(bottom, height), max(left, 0))


def encode_faces(image: RGBImage, boxes: list[Box]) -> Embeddings:
    """One 128-d float32 embedding per box, from the image's own resolution."""
    if not boxes:
        return np.empty((0, EMBEDDING_SIZE), dtype=np.float32)
    encodings = _fr().face_encodings(
        image, known_face_locations=[box.css() for box in boxes], num_jitters=1, model="small"
    )
    return np.asarray(encodings, dtype=np.float32).reshape(len(boxes), EMBEDDING_SIZE)


def face_landmarks(image: RGBImage, boxes: list[Box]) -> list[npt.NDArray[np.float32]]:
    """The 68 landmark points (x, y) of each box, for liveness."""
    if not boxes:
        return []
    # face_recognition's 68-point predictor, without its dict-of-lists conversion.
    predictor = _fr().api.pose_predictor_68_point
    rects = [_fr().api._css_to_rect(box.css()) for box in boxes]
    shapes = [predictor(image, rect) for rect in rects]
    return [np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32) for shape in shapes]


def sharpness(image: RGBImage, box: Box) -> float:
    """Variance of the Laplacian of the face, resized to a fixed size so it is scale-free."""
    crop = image[box.top : box.bottom, box.left : box.right]
    if crop.size == 0:
        return 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def analyse_image(image: RGBImage, options: FrameOptions = FrameOptions()) -> FrameAnalysis:
    """Detect every face; embed those not overlapping a skip box (faces already settled)."""
    height, width = image.shape[:2]
    timings: dict[str, float] = {}
    start = time.perf_counter()
    boxes = detect_faces(image, options.detect)
    timings["detect"] = _ms_since(start)
    wanted = [i for i, box in enumerate(boxes) if not _overlaps(box, options.skip_boxes)]
    start = time.perf_counter()
    embeddings = encode_faces(image, [boxes[i] for i in wanted])
    timings["encode"] = _ms_since(start)
    encoded = dict(zip(wanted, embeddings, strict=True))
    points = face_landmarks(image, boxes) if options.landmarks else [None] * len(boxes)
    faces = [
        Face(box=box, embedding=encoded.get(i), landmarks=points[i]) for i, box in enumerate(boxes)
    ]
    return FrameAnalysis(width=width, height=height, faces=faces, timings_ms=timings)


def analyse_frame(data: bytes, options: FrameOptions = FrameOptions()) -> FrameAnalysis:
    """A camera frame's faces (the kiosk's pool job): decode, detect, embed."""
    start = time.perf_counter()
    image = decode_image(data)
    decoded = _ms_since(start)
    analysis = analyse_image(image, options)
    analysis.timings_ms["decode"] = decoded
    return analysis


def analyse_enrolment_photo(data: bytes, step: Step | None = None) -> EnrolmentFace:
    """The embedding of the photo's single usable face, or an error that says what is wrong."""
    return enrolment_face(decode_image(data), step)


def enrolment_face(image: RGBImage, step: Step | None = None) -> EnrolmentFace:
    """checkin.quality's checks, in the order a person can fix them: one face, large enough,
    lit, sharp, then the head pose (any usable one for an upload, the step's for a guided
    capture). The embedding is computed only for a face that passed them all."""
    boxes = detect_faces(image, ENROL_DETECTION)
    quality.check_face_count(len(boxes))
    box = boxes[0]
    quality.check_size(box.size)
    lit = quality.brightness(image[box.top : box.bottom, box.left : box.right])
    quality.check_brightness(lit)
    sharp = sharpness(image, box)
    quality.check_sharpness(sharp)
    pose = quality.head_pose(face_landmarks(image, [box])[0])
    quality.check_pose(pose, step)
    height, width = image.shape[:2]
    embedding = encode_faces(image, [box])[0]
    return EnrolmentFace(embedding, box, sharp, width, height, brightness=lit, pose=pose)


def _overlaps(box: Box, others: tuple[Box, ...]) -> bool:
    return any(box.iou(other) >= SKIP_IOU for other in others)


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
