"""Several kiosks on one server (issue 16), run by `python -m bench.checkin --kiosks 4` and
`--door-queue`: real kiosk websockets to a real Hop server (uvicorn, its face pool).

- kiosks: kiosk 1 is busy: the stage video looped, sent at the camera's rate without waiting
  for answers, on three sockets of its one device token. The others are polite (one frame in
  flight, the next at the next camera tick after the answer, as web/static/kiosk.js) and see
  people step up every 3 s and stay 2 s. Per kiosk: appearance -> greeting, answers per
  second, the longest wait between two analysed frames; a kiosk with less than half the
  analysed frames of the kiosk that got most is starved.
- door queue: four polite kiosks; at each, a person steps up every 2 s and stays 1.5 s
  (the kiosks a quarter of that apart), people of the fixtures in turn: appearance -> greeting.

"Greeting" is the first answer that names the person in front of the kiosk as checked in
(or present: checked in here a moment ago) for a frame taken while they stood there. A name
shown for a frame in which someone else (or nobody) stands is counted as a wrong name.
"""

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import Session
from websockets.asyncio.client import ClientConnection, connect

from bench import _scenes
from bench._scenes import Appearance, Footage, Scene
from bench._servers import SECRET_KEY, Server, clerk_and_meeting, free_port, hop_env, populated
from checkin import engine
from checkin.engine import EnrolmentFace
from checkin.errors import FaceQualityError
from checkin.matching import Gallery

GREETED = {"checked_in", "present"}
ANSWER_TIMEOUT_S = 2.0  # kiosk.js sends again when an answer is this late
LATE_S = 1.0  # an answer this long after the person left still counts for them
TARGET_S = 1.0
STARVED = 0.5  # of the analysed frames per second of the kiosk that got most
# The busy kiosk's sockets on its one device token (a kiosk app that opens a socket per camera,
# or reconnects without closing): without fair sharing they could hold every place of the pool.
BUSY_SOCKETS = 3


@dataclass(frozen=True)
class Setup:
    url: str
    meeting_id: int
    tokens: list[str]
    names: dict[int, str]  # person id -> fixture folder name


@dataclass
class Answer:
    at: float  # seconds into the run
    sent: float | None  # when its frame was sent (polite kiosks)
    visible: str | None  # who stood in that frame (polite kiosks)
    greeted: set[str]
    error: str | None = None


@dataclass
class KioskLog:
    name: str
    greedy: bool
    scene: Scene
    sent: int = 0
    answers: list[Answer] = field(default_factory=list)


# -- set-up ----------------------------------------------------------------------------------


def enrol(
    faces: Path, *, captured: bool = True
) -> tuple[dict[str, list[EnrolmentFace]], Gallery, list[str]]:
    """Every photo of people/ analysed for enrolment (in this process, before the server).

    The video person has one photo, so he is not ready for face check-in (two templates);
    unless `captured` is off he is also enrolled from his guided capture, as the desk would
    before letting a kiosk greet him (the frames after his stretch, `_scenes.capture_frames`).
    """
    names = sorted(p.name for p in (faces / "people").iterdir() if p.is_dir())
    enrolled = {
        name: [
            engine.analyse_enrolment_photo(path.read_bytes())
            for path in sorted((faces / "people" / name).iterdir())
        ]
        for name in names
    }
    if captured and _scenes.VIDEO_PERSON in enrolled:
        enrolled[_scenes.VIDEO_PERSON] += _good_captures(_scenes.capture_frames(faces))
    ids = [n for n, name in enumerate(names) for _ in enrolled[name]]
    rows = np.stack([face.embedding for name in names for face in enrolled[name]])
    return enrolled, Gallery.build(ids, rows), names


def _good_captures(frames: list[bytes]) -> list[EnrolmentFace]:
    """The frames that pass the enrolment checks, as a guided capture keeps them."""
    kept = []
    for frame in frames:
        with contextlib.suppress(FaceQualityError):
            kept.append(engine.analyse_enrolment_photo(frame))
        if len(kept) == _scenes.CAPTURE_KEEP:
            break
    return kept


def prepare(workdir: Path, enrolled: dict[str, list[EnrolmentFace]], kiosks: int) -> Setup:
    url = f"sqlite:///{workdir / 'hop.db'}"
    meeting_id, names, tokens = populated(url, lambda s: _populate(s, enrolled, kiosks))
    return Setup(url, meeting_id, tokens, names)


def _populate(
    session: Session, enrolled: dict[str, list[EnrolmentFace]], kiosks: int
) -> tuple[int, dict[int, str], list[str]]:

    from checkin import gallery
    from checkin.crypto import FaceCipher
    from meetings import people, scheduling
    from models import (
        DeviceKind,
        DeviceTokenCreate,
        InvitationCreate,
        PersonCreate,
    )
    from web.auth import issue_device_token

    clerk, meeting = clerk_and_meeting(session, "Kiosks")
    cipher = FaceCipher.from_secret(SECRET_KEY)
    names: dict[int, str] = {}
    for seat, (name, faces) in enumerate(enrolled.items(), start=1):
        person = people.create_person(
            session=session, data=PersonCreate(username=name, full_name=name.replace("_", " "))
        )
        assert person.id is not None
        names[person.id] = name
        scheduling.invite(
            session=session,
            meeting=meeting,
            data=InvitationCreate(person_id=person.id, seat_label=f"A{seat:02}"),
        )
        gallery.record_consent(session=session, person_id=person.id, recorded_by=clerk.id)
        for face in faces:
            gallery.enrol_face(session=session, cipher=cipher, person_id=person.id, face=face)
    tokens = [
        issue_device_token(
            session,
            data=DeviceTokenCreate(
                name=f"Cửa {n + 1}", kind=DeviceKind.kiosk, meeting_id=meeting.id
            ),
            issuer=clerk,
        )[1]
        for n in range(kiosks)
    ]
    assert meeting.id is not None
    return meeting.id, names, tokens


# -- kiosk clients ---------------------------------------------------------------------------


class Client:
    """One kiosk socket: frames out at the camera's rate, answers in."""

    def __init__(self, log: KioskLog, socket: ClientConnection, names: dict[int, str]) -> None:
        self.log = log
        self.socket = socket
        self.names = names
        self.in_flight: tuple[float, str | None] | None = None  # sent at, who was in it

    async def run(self, start: float, seconds: float, fps: float) -> None:
        receiver = asyncio.create_task(self._receive(start))
        try:
            await self._send(start, seconds, fps)
            await asyncio.sleep(LATE_S)  # the last answers
        finally:
            receiver.cancel()

    async def _send(self, start: float, seconds: float, fps: float) -> None:
        tick = start
        while (now := time.monotonic() - start) < seconds:
            late = self.in_flight is not None and now - self.in_flight[0] > ANSWER_TIMEOUT_S
            if self.log.greedy or self.in_flight is None or late:
                frame, who = self.log.scene.at(now)
                self.in_flight = (now, who)
                self.log.sent += 1
                await self.socket.send(frame)
            tick += 1 / fps
            await asyncio.sleep(max(tick - time.monotonic(), 0))

    async def _receive(self, start: float) -> None:
        async for message in self.socket:
            answer = json.loads(message)
            if answer.get("type") not in {"faces", "error"}:
                continue
            sent, visible = self.in_flight or (None, None)
            if self.log.greedy:
                sent, visible = None, None
            self.in_flight = None
            greeted = {
                self.names[face["person_id"]]
                for face in answer.get("faces", ())
                if face.get("state") in GREETED and face.get("person_id") in self.names
            }
            error = answer.get("error") if answer["type"] == "error" else None
            at = time.monotonic() - start
            self.log.answers.append(Answer(at, sent, visible, greeted, error))


async def drive(
    server: Server, setup: Setup, logs: list[KioskLog], seconds: float, fps: float
) -> None:
    """Open every kiosk's sockets, warm the pool up, then stream for `seconds`."""
    pairs = []  # (log, socket): a busy kiosk has several sockets on its one device token
    for log, token in zip(logs, setup.tokens, strict=False):
        for _ in range(BUSY_SOCKETS if log.greedy else 1):
            pairs.append((log, await _connect(server, setup, token)))
    try:
        for log, socket in pairs:  # the workers load dlib's models: not measured
            await socket.send(log.scene.footage.empty)
            await asyncio.wait_for(socket.recv(), timeout=120)
        clients = [Client(log, socket, setup.names) for log, socket in pairs]
        start = time.monotonic()
        await asyncio.gather(*(client.run(start, seconds, fps) for client in clients))
    finally:
        for _, socket in pairs:
            await socket.close()


async def _connect(server: Server, setup: Setup, token: str) -> ClientConnection:
    return await connect(
        server.url.replace("http", "ws") + f"/ws/kiosk/{setup.meeting_id}",
        additional_headers={"Authorization": f"Bearer {token}"},
        max_size=None,
        compression=None,
        ping_interval=None,
    )


# -- figures ---------------------------------------------------------------------------------


def greetings(log: KioskLog) -> tuple[list[float], int]:
    """Appearance -> greeting of every appearance at a polite kiosk; and how many were missed."""
    latencies, missed = [], 0
    for appearance in log.scene.appearances:
        latency = _greeting(log.answers, appearance)
        if latency is None:
            missed += 1
        else:
            latencies.append(latency)
    return latencies, missed


def _greeting(answers: list[Answer], appearance: Appearance) -> float | None:
    for answer in answers:
        if answer.sent is None or answer.sent < appearance.start:
            continue
        if answer.sent >= appearance.end or answer.at > appearance.end + LATE_S:
            return None
        if appearance.person in answer.greeted:
            return answer.at - appearance.start
    return None


def kiosk_figures(log: KioskLog, seconds: float) -> dict[str, Any]:
    """One kiosk's figures; "analysed" counts the frames answered with faces, not refusals."""
    analysed = [a.at for a in log.answers if a.error is None]
    gaps = np.diff([0.0, *analysed, seconds])
    errors: dict[str, int] = {}
    for answer in log.answers:
        if answer.error:
            errors[answer.error] = errors.get(answer.error, 0) + 1
    figures: dict[str, Any] = {
        "kiosk": log.name,
        "busy": log.greedy,
        "frames_sent": log.sent,
        "analysed_per_s": round(len(analysed) / seconds, 2),
        "longest_gap_s": round(float(gaps.max()), 2),
        "errors": errors,
    }
    if not log.greedy:
        replies = [a.at - a.sent for a in log.answers if a.sent is not None]
        latencies, missed = greetings(log)
        wrong = [a for a in log.answers if a.greeted - {a.visible}]
        figures |= {
            "answer_p50_ms": _ms(replies, 50),
            "answer_p95_ms": _ms(replies, 95),
            "appearances": len(log.scene.appearances),
            "greeted": len(latencies),
            "missed": missed,
            "wrong_names": len(wrong),
            **_spread("greeting", latencies),
        }
    return figures


def _spread(prefix: str, values: list[float]) -> dict[str, float | None]:
    if not values:
        return {f"{prefix}_p50_s": None, f"{prefix}_p95_s": None, f"{prefix}_max_s": None}
    return {
        f"{prefix}_p50_s": round(float(np.percentile(values, 50)), 3),
        f"{prefix}_p95_s": round(float(np.percentile(values, 95)), 3),
        f"{prefix}_max_s": round(max(values), 3),
    }


def _ms(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)) * 1000, 1) if values else None


def starved(per_kiosk: list[dict[str, Any]]) -> list[str]:
    """Kiosks with less than half the analysed frames of the kiosk that got most: a fair pool
    gives each kiosk about the same number (a slow machine slows them all alike)."""
    most = max(k["analysed_per_s"] for k in per_kiosk)
    return [k["kiosk"] for k in per_kiosk if k["analysed_per_s"] < STARVED * most]


def by_person(logs: list[KioskLog]) -> dict[str, dict[str, Any]]:
    """Greetings per person: the stills and the stage video are not equally easy."""
    found: dict[str, list[float | None]] = {}
    for log in logs:
        for appearance in log.scene.appearances:
            found.setdefault(appearance.person, []).append(_greeting(log.answers, appearance))
    return {
        person: {
            "greeted": sum(x is not None for x in values),
            "missed": sum(x is None for x in values),
            **_spread("greeting", [x for x in values if x is not None]),
        }
        for person, values in sorted(found.items())
    }


def run_figures(logs: list[KioskLog], seconds: float) -> dict[str, Any]:
    per_kiosk = [kiosk_figures(log, seconds) for log in logs]
    polite = [log for log in logs if not log.greedy]
    latencies = [x for log in polite for x in greetings(log)[0]]
    result: dict[str, Any] = {
        "kiosks": len(logs),
        "seconds": seconds,
        **_spread("greeting", latencies),
        "appearances": sum(len(log.scene.appearances) for log in polite),
        "missed": sum(k.get("missed", 0) for k in per_kiosk),
        "wrong_names": sum(k.get("wrong_names", 0) for k in per_kiosk),
        "starved": starved(per_kiosk),
        "by_person": by_person(polite),
        "per_kiosk": per_kiosk,
    }
    p95 = result["greeting_p95_s"]
    result["target_met"] = p95 is not None and p95 <= TARGET_S and not result["missed"]
    return result


# -- the two runs ----------------------------------------------------------------------------


def busy_and_polite(footage: Footage, kiosks: int, seconds: float, fps: float) -> list[KioskLog]:
    """Kiosk 1 streams the stage video without waiting; the others see people come and go."""
    still = sorted(p for p in footage.people if p != _scenes.VIDEO_PERSON)
    video = [Appearance(_scenes.VIDEO_PERSON, 0.0, seconds + LATE_S)]
    logs = [KioskLog("Cửa 1", True, Scene(footage, video, fps))] if kiosks > 1 else []
    for n in range(len(logs), kiosks):
        people = still[n % len(still) :] + still[: n % len(still)]
        plan = _scenes.door_queue(people, first=1.0 + 0.7 * n, every=3.0, stay=2.0, until=seconds)
        logs.append(KioskLog(f"Cửa {n + 1}", False, Scene(footage, plan, fps)))
    return logs


def door_queue(footage: Footage, kiosks: int, seconds: float, fps: float) -> list[KioskLog]:
    """At every kiosk a person steps up every 2 s and stays 1.5 s, people in turn."""
    everyone = sorted(footage.people)
    logs = []
    for n in range(kiosks):
        people = everyone[n % len(everyone) :] + everyone[: n % len(everyone)]
        plan = _scenes.door_queue(people, first=1.0 + 0.5 * n, every=2.0, stay=1.5, until=seconds)
        logs.append(KioskLog(f"Cửa {n + 1}", False, Scene(footage, plan, fps)))
    return logs


def run(args: argparse.Namespace) -> int:
    """Both runs asked for, on one server; a table, then one JSON line."""
    log = _logger()
    seconds = 12.0 if args.quick else args.seconds
    kiosks = max(args.kiosks, 4 if args.door_queue else 1)
    log("enrolling people/, cutting frames ...")
    enrolled, gallery, names = enrol(args.faces, captured=not args.one_photo)
    footage = _scenes.make_footage(args.faces, gallery, names)
    result: dict[str, Any] = {"fps": args.fps, "workers": args.workers, "cpus": os.cpu_count()}
    result["load_before"] = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="hop-kiosks-") as folder:
        workdir = Path(folder)
        setup = prepare(workdir, enrolled, kiosks)
        env = hop_env(setup.url, workdir / "var", HOP_FACE_WORKERS=str(args.workers))
        server = Server(env, free_port(), workdir / "server.log")
        server.start()
        try:
            server.wait_ready()
            runs = []
            if args.kiosks:
                runs.append(("kiosks", busy_and_polite(footage, args.kiosks, seconds, args.fps)))
            if args.door_queue:
                runs.append(("door_queue", door_queue(footage, 4, seconds, args.fps)))
            for name, logs in runs:
                log(f"{name}: {len(logs)} kiosks for {seconds:.0f} s ...")
                asyncio.run(drive(server, setup, logs, seconds, args.fps))
                result[name] = run_figures(logs, seconds)
        finally:
            server.stop()
    result["load_after"] = round(os.getloadavg()[0], 2)
    print_table(result)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def print_table(result: dict[str, Any]) -> None:
    for name in ("kiosks", "door_queue"):
        if name in result:
            _print_run(name, result[name], result["fps"])
    print(
        f"machine: {result['cpus']} CPUs, {result['workers']} face workers, load "
        f"{result['load_before']} before, {result['load_after']} after"
    )


def _print_run(name: str, figures: dict[str, Any], fps: float) -> None:
    header = (
        "kiosk",
        "analysed/s (refused)",
        "longest gap",
        "answer p50/p95 ms",
        "greeted",
        "greeting s",
    )
    print(f"\n{name}: {figures['kiosks']} kiosks, {figures['seconds']:.0f} s, {fps} fps cameras")
    rows = [header] + [_row(k) for k in figures["per_kiosk"]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(
        f"polite kiosks: greeting p50 {figures['greeting_p50_s']} s, p95 "
        f"{figures['greeting_p95_s']} s, max {figures['greeting_max_s']} s; missed "
        f"{figures['missed']} of {figures['appearances']}; wrong names "
        f"{figures['wrong_names']}; starved: {', '.join(figures['starved']) or 'none'}"
    )
    for person, got in figures["by_person"].items():
        print(
            f"  {person}: greeted {got['greeted']}, missed {got['missed']}, greeting p50 "
            f"{got['greeting_p50_s']} / p95 {got['greeting_p95_s']} / max {got['greeting_max_s']} s"
        )


def _row(k: dict[str, Any]) -> tuple[str, ...]:
    name = k["kiosk"] + (" (busy)" if k["busy"] else "")
    errors = f" {k['errors']}" if k["errors"] else ""
    if k["busy"]:
        return (name, f"{k['analysed_per_s']}{errors}", f"{k['longest_gap_s']} s", "-", "-", "-")
    return (
        name,
        f"{k['analysed_per_s']}{errors}",
        f"{k['longest_gap_s']} s",
        f"{k['answer_p50_ms']} / {k['answer_p95_ms']}",
        f"{k['greeted']}/{k['appearances']} (wrong {k['wrong_names']})",
        f"p50 {k['greeting_p50_s']} p95 {k['greeting_p95_s']} max {k['greeting_max_s']}",
    )


def _logger() -> Any:
    start = time.perf_counter()
    return lambda message: print(
        f"[{time.perf_counter() - start:6.1f}s] {message}", file=sys.stderr
    )
