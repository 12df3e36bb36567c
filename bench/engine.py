"""Face engine benchmark: how fast is the installed dlib? `python -m bench.engine [--rounds N]`.

Compares the prebuilt dlib-bin wheel (`make install`) with dlib built against OpenBLAS
(`make install-fast-engine`): run it in each virtualenv in turn, on the same machine, e.g.

    .venv/bin/python -m bench.engine
    OPENBLAS_NUM_THREADS=1 /tmp/fastdlib/venv/bin/python -m bench.engine

It needs only numpy, OpenCV and face_recognition (not the rest of Hop), with the calls and
settings of checkin.engine: HOG detection without upsampling, 5-point landmarks, one jitter.
- encoding: face_recognition.face_encodings of the one face of each photo of ../shared/faces/
  people, its location given (landmarks + the network), `--rounds` times over: ms per face;
- detection: face_recognition.face_locations on 640x480 frames (the video's 640x360 frames,
  letterboxed), ms per frame;
- with `--processes N`: N processes encoding at once, faces per second in all (the face pool
  runs one worker per core; a BLAS that starts its own threads in each may crowd them).
Prints a table, then one JSON line. The 1-minute load average is read before each part.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import dlib
import face_recognition
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FACES = ROOT.parent / "shared" / "faces"
VIDEO_NAME = "video/short_hamilton_clip.mp4"
FRAME_W, FRAME_H = 640, 480

Image = npt.NDArray[Any]
Css = tuple[int, int, int, int]  # face_recognition's (top, right, bottom, left)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__)
    add = parser.add_argument
    add("--faces", type=Path, default=DEFAULT_FACES, help="the shared face photos")
    add("--rounds", type=int, default=30, help="passes over the photos (11 faces each)")
    add("--frames", type=int, default=100, help="video frames for the detection figure")
    add("--processes", type=int, default=0, help="also encode in N processes at once")
    return parser.parse_args(argv)


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def engine_info() -> dict[str, Any]:
    """Which dlib this is: dlib-bin reports no BLAS, a source build with OpenBLAS does."""
    return {
        "python": sys.executable,
        "dlib": dlib.__version__,
        "blas": bool(dlib.DLIB_USE_BLAS),
        "lapack": bool(dlib.DLIB_USE_LAPACK),
        "avx": bool(getattr(dlib, "USE_AVX_INSTRUCTIONS", False)),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
    }


def largest_face(image: Image) -> Css:
    found = face_recognition.face_locations(image, number_of_times_to_upsample=1, model="hog")
    if not found:
        raise SystemExit("bench.engine: a photo without a detectable face")
    return max(found, key=lambda c: (c[2] - c[0]) * (c[1] - c[3]))


def load_faces(folder: Path) -> list[tuple[Image, Css]]:
    """Every enrolment photo with its face's location, found once (not timed)."""
    photos = sorted(p for p in (folder / "people").glob("*/*") if p.is_file())
    images = [face_recognition.load_image_file(str(p)) for p in photos]
    return [(image, largest_face(image)) for image in images]


def letterboxed_frames(video: Path, count: int) -> list[Image]:
    """RGB 640x480 frames: the clip's 640x360 ones with bars above and below, as a kiosk sends."""
    capture = cv2.VideoCapture(str(video))
    frames: list[Image] = []
    while len(frames) < count:
        ok, bgr = capture.read()
        if not ok:
            break
        bgr = cv2.resize(bgr, (FRAME_W, FRAME_W * bgr.shape[0] // bgr.shape[1]))
        pad = FRAME_H - bgr.shape[0]
        bgr = cv2.copyMakeBorder(bgr, pad // 2, pad - pad // 2, 0, 0, cv2.BORDER_CONSTANT)
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    """Milliseconds of each call, after one untimed warm-up call (models loaded, caches warm)."""
    calls[0]()
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def encode(image: Image, css: Css) -> object:
    return face_recognition.face_encodings(image, [css], num_jitters=1, model="small")


def detect(frame: Image) -> object:
    return face_recognition.face_locations(frame, number_of_times_to_upsample=0, model="hog")


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(times),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(p95, 2),
        "mean_ms": round(statistics.fmean(times), 2),
    }


def encode_for(folder: Path, locations: list[Css], rounds: int) -> tuple[int, float, float]:
    """One worker of the parallel run: the photos (loaded before the clock starts) encoded
    `rounds` times; the count, and when it started and ended on the machine's monotonic clock."""
    photos = sorted(p for p in (folder / "people").glob("*/*") if p.is_file())
    images = [face_recognition.load_image_file(str(p)) for p in photos]
    encode(images[0], locations[0])  # models loaded
    start = time.monotonic()
    for _ in range(rounds):
        for image, css in zip(images, locations, strict=True):
            encode(image, css)
    return rounds * len(images), start, time.monotonic()


def parallel_rate(
    folder: Path, locations: list[Css], rounds: int, processes: int
) -> dict[str, float]:
    """Faces per second of `processes` processes encoding at once, from the first one's start
    to the last one's end (CLOCK_MONOTONIC is the same for every process)."""
    with ProcessPoolExecutor(processes) as pool:
        runs = list(
            pool.map(encode_for, *zip(*[(folder, locations, rounds)] * processes, strict=True))
        )
    faces = sum(count for count, _, _ in runs)
    seconds = max(end for _, _, end in runs) - min(start for _, start, _ in runs)
    return {"processes": processes, "faces": faces, "faces_per_s": round(faces / seconds, 2)}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"engine": engine_info()}
    faces = load_faces(args.faces)
    result["load_before_encoding"] = loadavg()
    calls = [partial(encode, i, c) for _ in range(args.rounds) for i, c in faces]
    result["encoding"] = summary(timed(calls))
    frames = letterboxed_frames(args.faces / VIDEO_NAME, args.frames)
    result["load_before_detection"] = loadavg()
    result["detection"] = summary(timed([partial(detect, f) for f in frames]))
    if args.processes:
        result["load_before_parallel"] = loadavg()
        locations = [css for _, css in faces]
        result["parallel"] = parallel_rate(args.faces, locations, args.rounds, args.processes)
    result["load_after"] = loadavg()
    return result


def print_table(result: dict[str, Any]) -> None:
    info = result["engine"]
    print(
        f"dlib {info['dlib']}  BLAS {info['blas']}  LAPACK {info['lapack']}  AVX {info['avx']}"
        f"  OPENBLAS_NUM_THREADS={info['openblas_threads']}  ({info['python']})"
    )
    print(f"{'':34} {'n':>5} {'median':>8} {'p95':>8} {'mean':>8}  load")
    for key, label, load in (
        ("encoding", "face encoding, ms per face", "load_before_encoding"),
        ("detection", "HOG detection, ms per 640x480", "load_before_detection"),
    ):
        row = result[key]
        figures = f"{row['median_ms']:>8} {row['p95_ms']:>8} {row['mean_ms']:>8}"
        print(f"{label:34} {row['n']:>5} {figures}  {result[load]}")
    if "parallel" in result:
        par = result["parallel"]
        print(
            f"{par['processes']} processes encoding at once: {par['faces_per_s']} faces/s "
            f"({par['faces']} faces, load {result['load_before_parallel']} before)"
        )


def main(argv: list[str] | None = None) -> None:
    result = measure(parse_args(argv))
    print_table(result)
    sys.stdout.flush()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
