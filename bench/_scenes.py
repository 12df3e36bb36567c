"""What four kiosk cameras see, for bench.kiosks: people of the shared fixtures stepping in
front of a kiosk and leaving, as 640x480 JPEG frames with a little motion.

Still people are cut from the probe photos (each face identified against the enrolment photos,
so a group photo gives every enrolled person in it); Lin-Manuel Miranda comes from the video,
played in real time from where he walks in. Every frame is encoded once, before the run.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from checkin import engine
from checkin.engine import Box, FrameOptions
from checkin.matching import Gallery, person_distances

FRAME_W, FRAME_H = 640, 480
FACE_PX = 150  # a face at about a metre from a webcam
JPEG_QUALITY = 80  # kiosk.js sends canvas.toBlob(..., 0.8)
VARIANTS = 8  # frames per still person: a head moving a little, the light changing
VIDEO_PERSON = "lin_manuel_miranda"
VIDEO_FROM_S, VIDEO_TO_S = 2.8, 6.8  # he stands in the clip's middle (see docs/BENCHMARKS.md)
# His guided capture (issue 16.1: ready at two good templates): the frames of the clip just
# after his stretch that pass the enrolment checks, none of them a frame the kiosks are shown.
CAPTURE_FROM_S, CAPTURE_TO_S, CAPTURE_KEEP = 6.8, 7.4, 3
SAME_PERSON = 0.5  # a probe face this near to someone's enrolment photo is theirs

Image = npt.NDArray[Any]


@dataclass(frozen=True)
class Footage:
    """Per person, the frames a camera shows of them in turn; and an empty hall."""

    people: dict[str, list[bytes]]
    empty: bytes
    video_fps: float  # the rate at which the video person's frames follow each other


@dataclass(frozen=True)
class Appearance:
    person: str
    start: float  # seconds into the run
    end: float


class Scene:
    """One kiosk camera: who stands in front of it when, and the frame it sees at a time."""

    def __init__(self, footage: Footage, appearances: list[Appearance], fps: float) -> None:
        self.footage = footage
        self.appearances = appearances
        self.fps = fps

    def at(self, t: float) -> tuple[bytes, str | None]:
        """The newest camera frame at t seconds and who is in it."""
        for appearance in self.appearances:
            if appearance.start <= t < appearance.end:
                frames = self.footage.people[appearance.person]
                rate = self.footage.video_fps if appearance.person == VIDEO_PERSON else self.fps
                index = int((t - appearance.start) * rate)
                return frames[index % len(frames)], appearance.person
        return self.footage.empty, None


def door_queue(
    people: list[str], *, first: float, every: float, stay: float, until: float
) -> list[Appearance]:
    """People in turn: one steps up every `every` seconds and stays `stay` seconds."""
    plan = []
    for n, start in enumerate(np.arange(first, until - stay, every)):
        plan.append(Appearance(people[n % len(people)], float(start), float(start) + stay))
    return plan


def make_footage(faces: Path, gallery: Gallery, names: list[str]) -> Footage:
    """Every enrolled person with a probe face (stills) or the video (Lin-Manuel Miranda)."""
    crops: dict[str, list[tuple[int, Image]]] = {}
    for path in sorted((faces / "probes").iterdir()):
        for person, image, box in _identified(path, gallery, names):
            crops.setdefault(person, []).append((box.size, _crop(image, box)))
    # One photo per person (the largest face), so that a person's frames differ only as a
    # camera's do; switching photos would look like another face every frame.
    people = {
        person: _variants(max(found, key=lambda c: c[0])[1])
        for person, found in sorted(crops.items())
    }
    fps, clip = _video(faces / "video" / "short_hamilton_clip.mp4")
    people[VIDEO_PERSON] = clip
    return Footage(people, _jpeg(_hall()), fps)


def _identified(path: Path, gallery: Gallery, names: list[str]) -> list[tuple[str, Image, Box]]:
    analysis = engine.analyse_frame(path.read_bytes(), FrameOptions(detect=engine.PHOTO_DETECTION))
    image = cv2.cvtColor(engine.decode_image(path.read_bytes()), cv2.COLOR_RGB2BGR)
    found = []
    for face in analysis.faces:
        if face.embedding is None or face.box.size < 60:
            continue
        row = person_distances(gallery, face.embedding[None, :])[0]
        best = int(np.argmin(row))
        if row[best] < SAME_PERSON:
            found.append((names[int(gallery.people[best])], image, face.box))
    return found


def _crop(image: Image, box: Box) -> Image:
    """A FRAME_W x FRAME_H frame around the face, the face about FACE_PX, a bit above centre."""
    scale = FACE_PX / max(box.size, 1)
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cy, cx = int((box.top + box.bottom) / 2 * scale), int((box.left + box.right) / 2 * scale)
    padded = cv2.copyMakeBorder(big, FRAME_H, FRAME_H, FRAME_W, FRAME_W, cv2.BORDER_REPLICATE)
    top, left = cy + FRAME_H - FRAME_H * 2 // 5, cx + FRAME_W - FRAME_W // 2
    return padded[top : top + FRAME_H, left : left + FRAME_W]


def _variants(image: Image) -> list[bytes]:
    """Frames of a head moving by a few pixels and the light changing a little."""
    frames = []
    for n in range(VARIANTS):
        dx, dy = 6 * np.sin(n * 0.9), 4 * np.cos(n * 1.3)
        shift = np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32)
        moved = cv2.warpAffine(image, shift, (FRAME_W, FRAME_H), borderMode=cv2.BORDER_REPLICATE)
        frames.append(_jpeg(cv2.convertScaleAbs(moved, alpha=1.0, beta=4 * np.sin(n))))
    return frames


def _video(path: Path) -> tuple[float, list[bytes]]:
    """The clip's frames while the video person stands in it, letterboxed to 640x480."""
    fps, images = _clip(path, VIDEO_FROM_S, VIDEO_TO_S)
    frames = []
    for image in images:
        pad = max(FRAME_H - image.shape[0], 0)
        framed = cv2.copyMakeBorder(
            image, pad // 2, pad - pad // 2, 0, 0, cv2.BORDER_CONSTANT, value=(40, 40, 40)
        )
        frames.append(_jpeg(cv2.resize(framed, (FRAME_W, FRAME_H))))
    return fps, frames


def capture_frames(faces: Path) -> list[bytes]:
    """The video person's guided-capture candidates, as PNG files (checked at enrolment)."""
    _, images = _clip(faces / "video" / "short_hamilton_clip.mp4", CAPTURE_FROM_S, CAPTURE_TO_S)
    return [cv2.imencode(".png", image)[1].tobytes() for image in images]


def _clip(path: Path, start: float, end: float) -> tuple[float, list[Image]]:
    """The clip's frames from start to end seconds (BGR), and its frame rate."""
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 29.97
    frames, index = [], 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        if start <= index / fps < end:
            frames.append(image)
        index += 1
    capture.release()
    return fps, frames


def _hall() -> Image:
    """An empty hall: a lit wall, a door frame and some noise (nothing face-like)."""
    rng = np.random.default_rng(16)
    wall = np.linspace(150, 200, FRAME_W, dtype=np.float32)[None, :, None]
    image = np.broadcast_to(wall, (FRAME_H, FRAME_W, 3)).copy()
    image[:, 420:440] = 90
    image += rng.normal(0, 6, image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def _jpeg(image: Image) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    assert ok
    return bytes(buffer.tobytes())
