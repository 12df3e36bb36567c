"""A kiosk's enrolment mode: the desk asks (checkin.kiosk_enrolment), the kiosk guides one
invitee through the three steps with its own camera, then goes back to check-in.

Each kiosk connection listens to its meeting's events through the hub, as a manager would
(the requests are for the secretariat's eyes only), and forwards to the kiosk page only the
requests meant for this kiosk. While a request is in force the kiosk's frames are enrolment
frames: each goes through the same capture step as the faces page (web.capture) and the
answer says whether it was kept, why not, and what to do next. The outcome is written to the
meeting's log, where the desk sees it.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

from checkin import kiosk_enrolment
from checkin.errors import ConsentRequiredError
from checkin.kiosk_enrolment import KioskEnrolment, NoKioskEnrolmentError
from checkin.quality import GUIDED_STEPS, Step
from web import faces
from web.capture import CapturePublic, capture_frame
from web.hub import RECONNECT, RESYNC, Client, Delivery
from web.state import AppState

log = logging.getLogger("hop.kiosk")

MAX_TRIES = 5  # frames per step before the kiosk gives up and returns to check-in
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Device(Protocol):
    """The kiosk's device (web.realtime.kiosk.KioskDevice)."""

    @property
    def device_id(self) -> int: ...


@dataclass
class Progress:
    """Where the person is in the guided steps (the kiosk page's state, kept here too)."""

    request: KioskEnrolment
    index: int = 0
    tries: int = 0
    kept: int = 0

    @property
    def step(self) -> Step:
        return GUIDED_STEPS[self.index]

    def as_message(self, kind: str) -> dict[str, Any]:
        return {
            "type": kind,
            "person_id": self.request.person_id,
            "name": self.request.full_name,
            "step": self.step.value,
            "index": self.index,
            "steps": [step.value for step in GUIDED_STEPS],
            "tries": self.tries,
            "max_tries": MAX_TRIES,
        }


class KioskEnrolmentMode:
    """One kiosk connection's enrolment mode: off until the desk asks for this kiosk."""

    def __init__(self, state: AppState, *, meeting_id: int, device: Device, send: Send) -> None:
        self.state = state
        self.meeting_id = meeting_id
        self.device = device
        self.send = send
        self.progress: Progress | None = None

    @property
    def device_id(self) -> int:
        return self.device.device_id

    @property
    def active(self) -> bool:
        return self.progress is not None

    async def listen(self) -> None:
        """Beside the kiosk's loops until it closes: the desk's requests, from the hub."""
        client = Client(meeting_id=self.meeting_id, is_manager=True)
        self.state.hub.join(client)
        try:
            await self._resume()  # a request made just before this socket opened
            while True:
                item = await client.queue.get()
                if item is RECONNECT:
                    return  # draining: out of the hub; the kiosk checks in until the close
                if item is RESYNC:
                    await self._resume()
                elif isinstance(item, Delivery) and item.text:
                    await self._on_event(json.loads(item.text))
        finally:
            self.state.hub.leave(client)

    async def _on_event(self, message: dict[str, Any]) -> None:
        kind, data = message.get("type"), message.get("data") or {}
        if kind not in (kiosk_enrolment.STARTED, kiosk_enrolment.ENDED):
            return
        if kind == kiosk_enrolment.STARTED and self._following(data):
            # The request this kiosk already follows: read from the log when the socket
            # opened, and heard now from the hub (through Redis, later). Not a newer one.
            return
        # One kiosk enrolment at a time per meeting: any newer request, or the end of ours
        # recorded elsewhere, takes this kiosk back to check-in first.
        if self.progress is not None:
            await self.send(self._finish(self.progress, "cancelled", None))
        if kind == kiosk_enrolment.STARTED and data.get("device_id") == self.device_id:
            await self._begin(KioskEnrolment.from_data(data))

    def _following(self, data: dict[str, Any]) -> bool:
        if self.progress is None:
            return False
        try:
            return KioskEnrolment.from_data(data) == self.progress.request
        except (KeyError, TypeError, ValueError):
            return False

    async def _resume(self) -> None:
        request = await run_in_threadpool(self._active)
        if request is not None and not self.active:
            await self._begin(request)

    async def _begin(self, request: KioskEnrolment) -> None:
        self.progress = Progress(request)
        await self.send(self.progress.as_message("enrol"))

    async def frame(self, data: bytes) -> dict[str, Any]:
        """One enrolment frame: kept or refused, then the next step, or the end."""
        progress = self.progress
        assert progress is not None
        person_id = progress.request.person_id
        try:
            request = await run_in_threadpool(self._require, person_id)
            result = await capture_frame(
                self.state,
                person_id=person_id,
                step=progress.step,
                data=data,
                by=request.started_by,
                source="kiosk",
            )
        except NoKioskEnrolmentError:
            # Lapsed or replaced by a newer request: nothing of ours to record.
            return self._finish(progress, "cancelled", None)
        except ConsentRequiredError:
            return await self._end(progress, "cancelled", None)  # withdrawn meanwhile
        if result.accepted:
            progress.kept += 1
            progress.index += 1
            progress.tries = 0
        else:
            progress.tries += 1
        if progress.index >= len(GUIDED_STEPS):
            return await self._end(progress, "done", result)
        if progress.tries >= MAX_TRIES:
            return await self._end(progress, "gave_up", result)
        return {**progress.as_message("enrol_frame"), **_verdict(result)}

    async def _end(
        self, progress: Progress, outcome: str, result: CapturePublic | None
    ) -> dict[str, Any]:
        """Record the outcome for the desk, and leave the enrolment mode."""
        templates, ready = (result.templates, result.ready) if result else (0, False)
        reply = self._finish(progress, outcome, result)
        await run_in_threadpool(self._record_end, progress, outcome, templates, ready)
        return reply

    def _finish(
        self, progress: Progress, outcome: str, result: CapturePublic | None
    ) -> dict[str, Any]:
        """Back to check-in (unless a newer request took over meanwhile); the kiosk's message."""
        if self.progress is progress:
            self.progress = None
        reply = {
            "type": "enrol_end",
            "person_id": progress.request.person_id,
            "name": progress.request.full_name,
            "outcome": outcome,
            "kept": progress.kept,
            "ready": result.ready if result else False,
        }
        return {**reply, **(_verdict(result) if result else {})}

    def _active(self) -> KioskEnrolment | None:
        with faces.open_session(self.state) as session:
            return kiosk_enrolment.active_kiosk_enrolment(
                session=session, meeting_id=self.meeting_id, device_id=self.device_id
            )

    def _require(self, person_id: int) -> KioskEnrolment:
        with faces.open_session(self.state) as session:
            return kiosk_enrolment.require_kiosk_enrolment(
                session=session,
                meeting_id=self.meeting_id,
                device_id=self.device_id,
                person_id=person_id,
            )

    def _record_end(self, progress: Progress, outcome: str, templates: int, ready: bool) -> None:
        with faces.open_session(self.state) as session:
            kiosk_enrolment.end_kiosk_enrolment(
                session=session,
                meeting_id=self.meeting_id,
                request=progress.request,
                outcome=outcome,
                kept=progress.kept,
                templates=templates,
                ready=ready,
            )


def _verdict(result: CapturePublic) -> dict[str, Any]:
    """What the kiosk shows of the frame just judged."""
    return {
        "judged": result.step.value,
        "accepted": result.accepted,
        "reason": result.reason,
        "templates": result.templates,
    }
