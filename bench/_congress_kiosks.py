"""The congress's kiosks: bench.kiosks' polite kiosks (one frame in flight, people of the face
fixtures stepping up every 2 s and staying 1.5 s) streaming real frames to one server, on an
event loop of their own in a thread of the parent, from when they are started until stopped."""

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import _scenes, kiosks
from bench._servers import Server
from checkin.engine import EnrolmentFace

HORIZON_S = 3600.0  # the scenes are planned this far; what was not lived through is dropped


def footage(faces: Path) -> tuple[dict[str, list[EnrolmentFace]], _scenes.Footage]:
    """The enrolment photos analysed and the camera frames cut (before the servers start)."""
    enrolled, gallery, names = kiosks.enrol(faces)
    return enrolled, _scenes.make_footage(faces, gallery, names)


class Kiosks:
    """Polite kiosks on one server, streaming in the background."""

    def __init__(self, server: Server, setup: kiosks.Setup, scenes: _scenes.Footage, fps: float):
        self.logs = kiosks.door_queue(scenes, len(setup.tokens), HORIZON_S, fps)
        self.server, self.setup, self.fps = server, setup, fps
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task[None] | None = None
        self.thread = threading.Thread(target=self._run, name="kiosks", daemon=True)
        self.streaming_since: float | None = None

    def start(self, timeout: float = 120.0) -> None:
        """Connect, warm the face pool up (not measured), and wait until frames flow."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not any(log.sent for log in self.logs):
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the kiosks did not start streaming")
            time.sleep(0.05)
        self.streaming_since = time.monotonic()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        drive = kiosks.drive(self.server, self.setup, self.logs, HORIZON_S, self.fps)
        self.task = self.loop.create_task(drive)
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        finally:
            self.loop.close()

    def stop(self) -> dict[str, Any]:
        """Stop streaming; the figures of what was lived through."""
        if self.task is not None:
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(10)
        return figures(self.logs)


def figures(logs: list[kiosks.KioskLog]) -> dict[str, Any]:
    """Frame → decision p50/p95 over every kiosk, and bench.kiosks' greeting figures."""
    answered = [a.at for log in logs for a in log.answers]
    seconds = max(answered, default=0.0)
    for log in logs:  # only the appearances that ended while the kiosks streamed
        log.scene.appearances = [
            a for a in log.scene.appearances if a.end + kiosks.LATE_S <= seconds
        ]
    replies = [a.at - a.sent for log in logs for a in log.answers if a.sent is not None]
    result = kiosks.run_figures(logs, seconds) if seconds else {}
    return {
        "kiosk_frames": len(replies),
        "kiosk_p50_ms": _ms(replies, 50),
        "kiosk_p95_ms": _ms(replies, 95),
        "kiosk_greeting_p95_s": result.get("greeting_p95_s"),
        "kiosk_greeted": sum(k.get("greeted", 0) for k in result.get("per_kiosk", [])),
        "kiosk_appearances": result.get("appearances", 0),
        "kiosk_wrong_names": result.get("wrong_names", 0),
        "kiosk_errors": sorted({a.error for log in logs for a in log.answers if a.error}),
    }


def _ms(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)) * 1000, 1) if values else None
