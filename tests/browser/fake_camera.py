"""A fake webcam for Chromium: a YUV4MPEG2 file that `--use-file-for-fake-video-capture` plays
(in a loop) as the camera, written from the shared face photos and the short video."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

WIDTH, HEIGHT, FPS = 640, 480, 10
Frame = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Still:
    """A photo held in front of the camera for some seconds."""

    path: Path
    seconds: float


@dataclass(frozen=True)
class Clip:
    """A stretch of a video, at the camera's frame rate."""

    path: Path
    start_s: float
    end_s: float


def fit(image: Any) -> Frame:
    """The image scaled into the camera's frame, letterboxed on a dark grey."""
    scale = min(WIDTH / image.shape[1], HEIGHT / image.shape[0])
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    frame = np.full((HEIGHT, WIDTH, 3), 40, dtype=np.uint8)
    top, left = (HEIGHT - size[1]) // 2, (WIDTH - size[0]) // 2
    frame[top : top + size[1], left : left + size[0]] = resized
    return frame


def still_frames(still: Still) -> Iterator[Frame]:
    image = cv2.imread(str(still.path), cv2.IMREAD_COLOR)
    assert image is not None, f"cannot read {still.path}"
    frame = fit(image)
    for _ in range(round(still.seconds * FPS)):
        yield frame


def clip_frames(clip: Clip) -> Iterator[Frame]:
    """The clip's frames resampled to FPS (the source runs at about 30 fps)."""
    video = cv2.VideoCapture(str(clip.path))
    try:
        source_fps = video.get(cv2.CAP_PROP_FPS) or 30.0
        index, wanted = 0, clip.start_s
        while wanted < clip.end_s:
            ok, image = video.read()
            if not ok:
                return
            if index / source_fps >= wanted:
                yield fit(image)
                wanted += 1 / FPS
            index += 1
    finally:
        video.release()


def frames_of(scenes: Iterable[Still | Clip]) -> Iterator[Frame]:
    for scene in scenes:
        yield from still_frames(scene) if isinstance(scene, Still) else clip_frames(scene)


def write_y4m(path: Path, scenes: Iterable[Still | Clip]) -> int:
    """Write the scenes as a 4:2:0 y4m; the number of frames written."""
    count = 0
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames_of(scenes):
            planes: Any = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
            out.write(b"FRAME\n")
            out.write(planes.tobytes())
            count += 1
    return count
