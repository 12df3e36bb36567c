"""Face check-in benchmark: `python -m bench.checkin [--faces DIR] [--workers N]`.

With `--kiosks N` and/or `--door-queue` it runs several kiosks against a real server instead
(bench/kiosks.py: multi-kiosk fairness, and people queueing at four doors; `--quick`).

Measures, on ../shared/faces (docs/BENCHMARKS.md has the recorded runs):
- calibration: distances of same-person and different-person faces (photos and the video);
- frame -> decision latency, p50/p95, of 640x480 JPEG frames with one and with three faces
  (composed from the probe photos), through the process pool, with a fresh kiosk per frame
  so every face is detected, encoded and matched;
- frames per second one kiosk sustains with the pool (two frames in flight) on the video;
- the time from a face's first appearance in the video to its check-in, played in real time
  (30 fps, only the newest frame taken whenever a worker is free);
- the naive pipeline in the same run: face_recognition on every full frame with its defaults
  (upsample 1, tolerance 0.6), one process.
Prints a table, then one JSON line.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from checkin import engine
from checkin.engine import Box, FrameAnalysis, FrameOptions
from checkin.kiosk import Kiosk
from checkin.matching import Gallery, Thresholds, Verdict, match_faces, person_distances
from checkin.pool import FacePool

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FACES = ROOT.parent / "shared" / "faces"
VIDEO_NAME = "video/short_hamilton_clip.mp4"
VIDEO_PERSON = "lin_manuel_miranda"
FRAME_W, FRAME_H = 640, 480
JPEG_QUALITY = 85
SINGLE_PROBES = (
    "alex_lacamoire1.jpg",
    "johnsnow_test1.jpg",
    "obama1.jpg",
    "obama3.jpg",
    "obama-720p.jpg",
    "obama_partial_face.jpg",
    "32bit.png",
)
PROBE_PEOPLE = {
    "alex_lacamoire1.jpg": "alex_lacamoire",
    "johnsnow_test1.jpg": "kit_harington",
    "obama1.jpg": "obama",
    "obama3.jpg": "obama",
    "obama-720p.jpg": "obama",
    "obama_partial_face.jpg": "obama",
    "32bit.png": "obama",
}
# Who is in every probe photo (two_people.jpg is Obama and Biden, whatever its name says).
PROBE_IDENTITIES = {
    **{name: {person} for name, person in PROBE_PEOPLE.items()},
    "obama-240p.jpg": {"obama"},
    "obama-480p.jpg": {"obama"},
    "kit_with_rose.jpg": {"kit_harington", "rose_leslie"},
    "obama_and_biden.jpg": {"obama", "biden"},  # and a third face: nobody enrolled
    "two_people.jpg": {"obama", "biden"},
}
NAIVE_TOLERANCE = 0.6
# A face missed for less than this is the same appearance (detectors drop frames).
APPEARANCE_GAP_S = 1.0


@dataclass(frozen=True)
class Enrolled:
    gallery: Gallery
    names: list[str]  # person number -> folder name


@dataclass(frozen=True)
class Frame:
    index: int
    at: float  # seconds into the video
    jpeg: bytes


# -- set-up ----------------------------------------------------------------------------------


def enrol_people(pool: FacePool, folder: Path) -> Enrolled:
    """Every photo of people/ enrolled, one person number per folder."""
    names = sorted(p.name for p in folder.iterdir() if p.is_dir())
    jobs = [
        (number, pool.submit(engine.analyse_enrolment_photo, path.read_bytes()))
        for number, name in enumerate(names)
        for path in sorted((folder / name).iterdir())
    ]
    ids = [number for number, _ in jobs]
    rows = np.stack([future.result().embedding for _, future in jobs])
    return Enrolled(Gallery.build(ids, rows), names)


Image = npt.NDArray[Any]


def jpeg(image_bgr: Image) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    assert ok
    return buffer.tobytes()


def crop_around(image: Image, box: Box, width: int, height: int, face: int) -> Image:
    """A width x height crop in which the face box measures about `face` pixels."""
    scale = face / max(box.size, 1)
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cy, cx = int((box.top + box.bottom) / 2 * scale), int((box.left + box.right) / 2 * scale)
    padded = cv2.copyMakeBorder(big, height, height, width, width, cv2.BORDER_REPLICATE)
    top, left = cy + height - height // 2, cx + width - width // 2
    return padded[top : top + height, left : left + width]


def compose_frames(probes: Path, boxes: dict[str, Box]) -> tuple[list[bytes], list[bytes]]:
    """640x480 kiosk frames: one face (160 px) each, and three faces (120 px) side by side."""
    images = {name: engine.decode_image((probes / name).read_bytes()) for name in SINGLE_PROBES}
    bgr = {n: cv2.cvtColor(img, cv2.COLOR_RGB2BGR) for n, img in images.items()}
    one = [jpeg(crop_around(bgr[n], boxes[n], FRAME_W, FRAME_H, 160)) for n in SINGLE_PROBES]
    three = []
    for start in range(len(SINGLE_PROBES)):
        trio = [SINGLE_PROBES[(start + k) % len(SINGLE_PROBES)] for k in range(3)]
        columns = [crop_around(bgr[n], boxes[n], FRAME_W // 3 + 1, FRAME_H, 120) for n in trio]
        three.append(jpeg(np.hstack(columns)[:, :FRAME_W]))
    return one, three


def video_frames(path: Path) -> list[Frame]:
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 29.97
    frames: list[Frame] = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(Frame(len(frames), len(frames) / fps, jpeg(image)))
    capture.release()
    return frames


# -- measurements ----------------------------------------------------------------------------


def latency(pool: FacePool, frames: list[bytes], enrolled: Enrolled, rounds: int) -> list[float]:
    """Frame bytes -> decisions, one frame at a time, a fresh kiosk each (every face encoded)."""
    times = []
    for i in range(rounds):
        data = frames[i % len(frames)]
        kiosk = Kiosk(name="bench")
        start = time.perf_counter()
        analysis = pool.submit(engine.analyse_frame, data, kiosk.frame_options(0.0)).result()
        kiosk.decide(analysis, enrolled.gallery, now=0.0)
        times.append((time.perf_counter() - start) * 1000)
    return times


async def paced(pool: FacePool, frames: list[Frame], enrolled: Enrolled, step: int) -> float | None:
    """The video at a steady 30/step fps, one frame at a time: when is the first check-in
    decided (the frame's time plus its own processing time)? Unlike the real-time run, this
    does not depend on how busy the machine is with other work."""
    kiosk = Kiosk(name="bench-paced")
    for frame in frames[::step]:
        start = time.perf_counter()
        analysis = await pool.run(engine.analyse_frame, frame.jpeg, kiosk.frame_options(frame.at))
        update = kiosk.decide(analysis, enrolled.gallery, now=frame.at)
        if any(enrolled.names[c.person_id] == VIDEO_PERSON for c in update.check_ins):
            return frame.at + time.perf_counter() - start
    return None


@dataclass
class NaiveRun:
    seconds: float = 0.0
    # frame index -> (nearest name, distance) of each face found
    seen: dict[int, list[tuple[str, float]]] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return len(self.seen) / self.seconds if self.seconds else 0.0


def naive(frames: list[Frame], enrolled: Enrolled, run: NaiveRun) -> None:
    """face_recognition with its defaults on each full frame, in this one process."""
    import face_recognition

    start = time.perf_counter()
    for frame in frames:
        image = engine.decode_image(frame.jpeg)
        locations = face_recognition.face_locations(image)
        encodings = face_recognition.face_encodings(image, locations)
        run.seen[frame.index] = [_nearest(enrolled, e) for e in encodings]
    run.seconds += time.perf_counter() - start


async def stream(
    pool: FacePool, kiosk: Kiosk, frames: list[Frame], enrolled: Enrolled, *, skip: bool
) -> float:
    """Seconds to push frames through the pool, `pool.workers` in flight, decisions in order."""
    in_flight: list[tuple[Frame, asyncio.Future[FrameAnalysis]]] = []
    start = time.perf_counter()
    for frame in frames:
        if len(in_flight) >= pool.workers:
            done_frame, future = in_flight.pop(0)
            kiosk.decide(await future, enrolled.gallery, now=done_frame.at)
        options = kiosk.frame_options(frame.at) if skip else FrameOptions()
        job = pool.run(engine.analyse_frame, frame.jpeg, options)
        in_flight.append((frame, asyncio.ensure_future(job)))
    for done_frame, future in in_flight:
        kiosk.decide(await future, enrolled.gallery, now=done_frame.at)
    return time.perf_counter() - start


@dataclass
class Throughput:
    fps: float  # the kiosk pipeline: settled faces are not re-encoded
    fps_every_face_encoded: float
    naive: NaiveRun


async def throughput(
    pool: FacePool, frames: list[Frame], enrolled: Enrolled, naive_step: int, blocks: int = 5
) -> Throughput:
    """Ours and the naive pipeline on the same stretches of video, taking turns, so that
    other load on the machine weighs on both alike."""
    kiosk, kiosk_all = Kiosk(name="bench"), Kiosk(name="bench-all")
    ours = ours_all = 0.0
    naive_run = NaiveRun()
    size = -(-len(frames) // blocks)
    for first in range(0, len(frames), size):
        block = frames[first : first + size]
        ours += await stream(pool, kiosk, block, enrolled, skip=True)
        ours_all += await stream(pool, kiosk_all, block, enrolled, skip=False)
        naive(block[::naive_step], enrolled, naive_run)
    return Throughput(len(frames) / ours, len(frames) / ours_all, naive_run)


@dataclass
class LiveRun:
    processed: int
    check_ins: list[tuple[str, float, int]]  # name, wall time into the video, frame index


async def realtime(pool: FacePool, frames: list[Frame], enrolled: Enrolled) -> LiveRun:
    """Play the video at its frame rate; when a worker is free, take the newest frame.

    Submissions are spaced by the recent job time over the number of workers: two workers
    started together would look at two frames 33 ms apart, then at nothing for a while."""
    kiosk = Kiosk(name="bench")
    run = LiveRun(0, [])
    fps = 1 / frames[1].at
    start = time.perf_counter()
    last, submitted, job_time = -1, -1.0, 0.2
    pending: list[tuple[Frame, float, asyncio.Future[FrameAnalysis]]] = []
    while last < len(frames) - 1 or pending:
        now = time.perf_counter() - start
        newest = min(int(now * fps), len(frames) - 1)
        spaced = now - submitted >= job_time / pool.workers
        if len(pending) < pool.workers and newest > last and spaced:
            frame, last, submitted = frames[newest], newest, now
            job = pool.run(engine.analyse_frame, frame.jpeg, kiosk.frame_options(frame.at))
            pending.append((frame, now, asyncio.ensure_future(job)))
        if pending and pending[0][2].done():
            frame, sent, future = pending.pop(0)
            update = kiosk.decide(future.result(), enrolled.gallery, now=frame.at)
            wall = time.perf_counter() - start
            job_time = 0.7 * job_time + 0.3 * (wall - sent)
            run.processed += 1
            run.check_ins += [
                (enrolled.names[c.person_id], wall, frame.index) for c in update.check_ins
            ]
        await asyncio.sleep(0.002)
    return run


def _nearest(enrolled: Enrolled, embedding: Any) -> tuple[str, float]:
    row = person_distances(enrolled.gallery, np.asarray(embedding, np.float32)[None, :])[0]
    best = int(np.argmin(row))
    return enrolled.names[int(enrolled.gallery.people[best])], float(row[best])


def appearances(run: NaiveRun, frames: list[Frame], name: str) -> list[tuple[float, float]]:
    """Time spans where the naive pipeline sees the person (ground truth for first-seen)."""
    spans: list[tuple[float, float]] = []
    for index in sorted(run.seen):
        if not any(n == name and d < NAIVE_TOLERANCE for n, d in run.seen[index]):
            continue
        at = frames[index].at
        if spans and at - spans[-1][1] <= APPEARANCE_GAP_S:
            spans[-1] = (spans[-1][0], at)
        else:
            spans.append((at, at))
    return spans


def components(frame: bytes, repeats: int = 5) -> dict[str, float]:
    """Median in-process milliseconds of each step on one 640x480 one-face frame."""
    import face_recognition

    image = engine.decode_image(frame)
    box = engine.detect_faces(image, engine.KIOSK_DETECTION)[0]
    steps: dict[str, Any] = {
        "decode": lambda: engine.decode_image(frame),
        "detect_kiosk": lambda: engine.detect_faces(image, engine.KIOSK_DETECTION),
        "hog_up0": lambda: face_recognition.face_locations(image, 0),
        "hog_up1": lambda: face_recognition.face_locations(image, 1),
        "encode_small": lambda: face_recognition.face_encodings(image, [box.css()], 1, "small"),
        "encode_large": lambda: face_recognition.face_encodings(image, [box.css()], 1, "large"),
        "landmarks68": lambda: engine.face_landmarks(image, [box]),
    }
    return {name: round(_median_ms(step, repeats), 1) for name, step in steps.items()}


def _median_ms(step: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


# -- accuracy and calibration ----------------------------------------------------------------


def probe_accuracy(
    analyses: dict[str, FrameAnalysis], enrolled: Enrolled, thresholds: Thresholds
) -> tuple[int, int]:
    """(correct, wrong) accepted identities over the single-person probes."""
    correct = wrong = 0
    for name, person in PROBE_PEOPLE.items():
        faces = [f.embedding for f in analyses[name].faces if f.embedding is not None]
        for match in match_faces(enrolled.gallery, np.stack(faces), thresholds):
            if match.verdict == Verdict.accept and match.person_id is not None:
                hit = enrolled.names[match.person_id] == person
                correct, wrong = correct + hit, wrong + (not hit)
    return correct, wrong


def naive_probe_accuracy(enrolled: Enrolled, probes: Path) -> tuple[int, int]:
    import face_recognition

    correct = wrong = 0
    for name, person in PROBE_PEOPLE.items():
        image = face_recognition.load_image_file(str(probes / name))
        for encoding in face_recognition.face_encodings(
            image, face_recognition.face_locations(image)
        ):
            nearest, distance = _nearest(enrolled, encoding)
            if distance <= NAIVE_TOLERANCE:
                correct, wrong = correct + (nearest == person), wrong + (nearest != person)
    return correct, wrong


def calibration(
    analyses: dict[str, FrameAnalysis], enrolled: Enrolled, naive_run: NaiveRun
) -> dict[str, Any]:
    """Same-person and different-person distances on every probe photo and on the video."""
    genuine: list[float] = []
    impostor: list[float] = []
    for name, people in PROBE_IDENTITIES.items():
        same, other = _photo_distances(analyses[name], enrolled, people)
        genuine += same
        impostor += other
    video = [d for faces in naive_run.seen.values() for n, d in faces if n == VIDEO_PERSON]
    video = [d for d in video if d < 0.7]
    return {
        "photo_genuine_max": round(max(genuine), 3),
        "photo_impostor_min": round(min(impostor), 3),
        "video_genuine_min": round(min(video), 3) if video else None,
        "video_genuine_median": round(statistics.median(video), 3) if video else None,
        "video_genuine_max": round(max(video), 3) if video else None,
    }


def _photo_distances(
    analysis: FrameAnalysis, enrolled: Enrolled, people: set[str]
) -> tuple[list[float], list[float]]:
    """The faces nearest to the photo's people are theirs; any other face is a stranger."""
    columns = [enrolled.names.index(person) for person in people]
    faces = [f.embedding for f in analysis.faces if f.embedding is not None]
    rows = person_distances(enrolled.gallery, np.stack(faces))
    order = np.argsort(rows[:, columns].min(axis=1))
    same, other = [], []
    for rank, index in enumerate(order):
        row = rows[index]
        if rank < len(people):
            own = columns[int(np.argmin(row[columns]))]
            same.append(float(row[own]))
            other.append(float(np.delete(row, own).min()))
        else:
            other.append(float(row.min()))
    return same, other


# -- report ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.checkin", description=__doc__)
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=40, help="frames per latency figure")
    parser.add_argument("--naive-step", type=int, default=3, help="naive: every Nth video frame")
    parser.add_argument("--kiosks", type=int, default=0, help="N kiosks on one server (issue 16)")
    parser.add_argument("--door-queue", action="store_true", help="4 kiosks, a person every 2 s")
    parser.add_argument("--fps", type=float, default=10.0, help="kiosk cameras' frame rate")
    parser.add_argument("--seconds", type=float, default=40.0, help="length of a kiosk run")
    parser.add_argument("--quick", action="store_true", help="12 s kiosk runs (smoke test)")
    parser.add_argument(
        "--one-photo",
        action="store_true",
        help="kiosk runs: the video person enrolled from his one photo only (not ready)",
    )
    args = parser.parse_args(argv)
    if not (args.faces / "people").is_dir():
        print(f"bench.checkin: no face fixtures at {args.faces}", file=sys.stderr)
        return 2
    if args.kiosks or args.door_queue:
        from bench import kiosks  # the multi-kiosk runs need a server, not this module's pool

        return kiosks.run(args)
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    load = os.getloadavg()[0]
    log = _logger()
    probes = args.faces / "probes"
    thresholds = Thresholds()
    with FacePool(workers=args.workers, max_pending=64) as pool:
        pool.warm_up()
        log("enrolling people/, analysing probes ...")
        enrolled = enrol_people(pool, args.faces / "people")
        photo = FrameOptions(detect=engine.PHOTO_DETECTION)
        futures = {
            p.name: pool.submit(engine.analyse_frame, p.read_bytes(), photo)
            for p in sorted(probes.iterdir())
        }
        analyses = {name: future.result() for name, future in futures.items()}
        boxes = {n: max(analyses[n].faces, key=lambda f: f.box.area).box for n in SINGLE_PROBES}
        one, three = compose_frames(probes, boxes)
        log("latency ...")
        lat1 = latency(pool, one, enrolled, args.rounds)
        lat3 = latency(pool, three, enrolled, max(args.rounds // 2, 5))
        log("video: ours and the naive pipeline in turns ...")
        frames = video_frames(args.faces / VIDEO_NAME)
        speed = await throughput(pool, frames, enrolled, args.naive_step)
        log("video in real time ...")
        live = await realtime(pool, frames, enrolled)
        paced_at = await paced(pool, frames, enrolled, step=3)
    naive_run = speed.naive
    steps = components(one[0])
    accuracy = probe_accuracy(analyses, enrolled, thresholds)
    naive_accuracy = naive_probe_accuracy(enrolled, probes)
    spans = appearances(naive_run, frames, VIDEO_PERSON)
    result = _summary(args, load, lat1, lat3, speed, live, spans, accuracy, naive_accuracy)
    result["paced_10fps_first_seen_to_checkin_s"] = _since_appearance(paced_at, spans)
    result["calibration"] = calibration(analyses, enrolled, naive_run)
    result["components_ms"] = steps
    result["load_after"] = round(os.getloadavg()[0], 2)
    _print_table(result, spans, live)
    print(json.dumps(result))
    return 0


def _since_appearance(at: float | None, spans: list[tuple[float, float]]) -> float | None:
    segment = next((span for span in reversed(spans) if at is not None and span[0] <= at), None)
    return round(at - segment[0], 2) if at is not None and segment else None


def _summary(
    args: argparse.Namespace,
    load: float,
    lat1: list[float],
    lat3: list[float],
    speed: Throughput,
    live: LiveRun,
    spans: list[tuple[float, float]],
    accuracy: tuple[int, int],
    naive_accuracy: tuple[int, int],
) -> dict[str, Any]:
    lin = [wall for name, wall, _ in live.check_ins if name == VIDEO_PERSON]
    checkin_at = lin[0] if lin else None
    from_start = _since_appearance(checkin_at, spans[:1])
    return {
        "p50_ms_1face": round(percentile(lat1, 50), 1),
        "p95_ms_1face": round(percentile(lat1, 95), 1),
        "p50_ms_3faces": round(percentile(lat3, 50), 1),
        "p95_ms_3faces": round(percentile(lat3, 95), 1),
        "fps": round(speed.fps, 2),
        "fps_every_face_encoded": round(speed.fps_every_face_encoded, 2),
        "naive_fps": round(speed.naive.fps, 2),
        "speedup": round(speed.fps / speed.naive.fps, 2),
        "first_seen_to_checkin_s": _since_appearance(checkin_at, spans),
        "first_frame_to_checkin_s": from_start,
        "checkin_at_s": round(checkin_at, 2) if checkin_at else None,
        "checked_in": sorted({name for name, _, _ in live.check_ins}),
        "live_frames_processed": live.processed,
        "probe_faces_correct": accuracy[0],
        "probe_faces_wrong": accuracy[1],
        "naive_probe_faces_correct": naive_accuracy[0],
        "naive_probe_faces_wrong": naive_accuracy[1],
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "load_before": round(load, 2),
    }


def _print_table(result: dict[str, Any], spans: list[tuple[float, float]], live: LiveRun) -> None:
    r = result
    seen = ", ".join(f"{a:.2f}-{b:.2f} s" for a, b in spans) or "never"
    check_ins = ", ".join(f"{n} at {w:.2f} s (frame {i})" for n, w, i in live.check_ins)
    rows = [
        ("frame -> decision, 640x480, 1 face", _p50_p95(r, "1face")),
        ("frame -> decision, 640x480, 3 faces", _p50_p95(r, "3faces")),
        (
            "kiosk fps, video, pool",
            f"{r['fps']} (every face encoded: {r['fps_every_face_encoded']})",
        ),
        ("naive fps, video, 1 process", f"{r['naive_fps']} -> x{r['speedup']}"),
        ("Lin seen by the naive pipeline", seen),
        ("check-ins, video in real time", check_ins or "none"),
        ("first seen -> check-in", f"{r['first_seen_to_checkin_s']} s"),
        ("first frame -> check-in", f"{r['first_frame_to_checkin_s']} s"),
        ("same, frames paced at 10 fps", f"{r['paced_10fps_first_seen_to_checkin_s']} s"),
        ("probe faces right/wrong, ours", f"{r['probe_faces_correct']}/{r['probe_faces_wrong']}"),
        ("probe faces right/wrong, naive", _naive_accuracy(r)),
        ("calibration", json.dumps(r["calibration"])),
        ("steps in one process, ms", json.dumps(r["components_ms"])),
        ("machine", f"{r['cpus']} CPUs, {r['workers']} workers, {_load(r)}"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def _load(result: dict[str, Any]) -> str:
    return f"load average {result['load_before']} before, {result['load_after']} after"


def _p50_p95(result: dict[str, Any], key: str) -> str:
    return f"p50 {result[f'p50_ms_{key}']} ms, p95 {result[f'p95_ms_{key}']} ms"


def _naive_accuracy(result: dict[str, Any]) -> str:
    return f"{result['naive_probe_faces_correct']}/{result['naive_probe_faces_wrong']}"


def _logger() -> Any:
    start = time.perf_counter()
    return lambda message: print(
        f"[{time.perf_counter() - start:6.1f}s] {message}", file=sys.stderr
    )


if __name__ == "__main__":
    sys.exit(main())
