"""The kiosk websocket: binary JPEG frames in, faces and check-ins out, newest frame only.

authenticate (kiosk device token) → accept → receive and analyse concurrently → clean up.
The receiver keeps one pending frame: a frame that arrives while another is analysed replaces
the pending one, so a slow engine never builds a queue behind the camera. The analyser takes
the newest frame, runs it through the process pool and the kiosk's tracker, records the
check-ins (checkin.arrivals, whose ledger publishes attendance.changed) and answers.
"""

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from checkin import frames
from checkin.arrivals import Arrival, record_arrivals
from checkin.errors import NotOfferedError
from checkin.frames import MeetingFaces
from checkin.kiosk import Kiosk
from checkin.policy import get_policy
from checkin.tracker import CheckIn, FaceState
from meetings import lifecycle
from meetings.errors import MeetingStateError
from models import DeviceKind, Meeting
from web import faces, learning, metrics, ratelimit
from web.auth import DeviceRefusedError, device_for_meeting, token_hash
from web.realtime.kiosk_enrolment import KioskEnrolmentMode
from web.realtime.revocation import Credential, watch_of
from web.realtime.ws import CLOSE_POLICY, CLOSE_REVOKED, _token, origin_allowed, ws_error
from web.state import AppState

log = logging.getLogger("hop.kiosk")
router = APIRouter()

IDLE_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class KioskDevice:
    name: str
    kiosk: Kiosk
    device_id: int = 0
    closed: dict[str, Any] | None = None  # the "closed" message when check-in is refused


def closed_message(meeting: Meeting, error: MeetingStateError) -> dict[str, Any]:
    """What a kiosk shows instead of inviting people: the meeting no longer takes check-ins."""
    return {"type": "closed", "status": str(meeting.status), "detail": error.detail}


def authorize(state: AppState, token: str | None, meeting_id: int) -> KioskDevice | None:
    """A kiosk device token valid for this meeting, with the meeting's policy (blocking)."""
    with faces.open_session(state) as session:
        try:
            device = device_for_meeting(session, token, meeting_id, DeviceKind.kiosk)
        except DeviceRefusedError:
            return None
        policy = get_policy(session=session, meeting_id=meeting_id)
        kiosk = Kiosk.from_policy(name=device.name, policy=policy)
        return KioskDevice(
            device.name, kiosk, device_id=device.id or 0, closed=_refusal(session, meeting_id)
        )


def _refusal(session: Session, meeting_id: int) -> dict[str, Any] | None:
    meeting = session.get(Meeting, meeting_id)  # loaded by the device check: no query
    assert meeting is not None
    refused = lifecycle.refusal(session, meeting, lifecycle.Action.check_in)
    return None if refused is None else closed_message(meeting, refused)


@router.websocket("/ws/kiosk/{meeting_id}")
async def kiosk_socket(websocket: WebSocket, meeting_id: int) -> None:
    state: AppState = websocket.app.state.hop
    # Kiosks authenticate with a token, never a cookie: no ambient authority to protect,
    # but a browser page from another site must still not drive the kiosk.
    if not origin_allowed(websocket, state.settings.allowed_origins, by_cookie=False):
        await websocket.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    device = await run_in_threadpool(authorize, state, _token(websocket), meeting_id)
    if device is None:
        await websocket.close(code=CLOSE_POLICY, reason="not allowed")
        return
    await websocket.accept()
    if device.closed is not None:
        # Say so and hang up: a closed meeting's kiosk must not invite anyone to check in.
        await websocket.send_text(json.dumps(device.closed, ensure_ascii=False))
        await websocket.close(code=1000)
        return
    connection = KioskConnection(state, websocket, meeting_id, device)
    connection.rate_key = token_hash(_token(websocket) or "")
    await connection.run()


class KioskConnection:
    """One kiosk: a receiver (frames and taps) and an analyser (the newest frame)."""

    def __init__(
        self, state: AppState, websocket: WebSocket, meeting_id: int, device: KioskDevice
    ) -> None:
        self.state = state
        self.websocket = websocket
        self.meeting_id = meeting_id
        self.device = device
        self.pending: bytes | None = None
        self.ready = asyncio.Event()
        self.send_lock = asyncio.Lock()
        self.offers: dict[int, int] = {}  # person id offered in the grey zone -> track id
        self.replaced = 0  # frames dropped because a newer one arrived
        self.close_code = 1000
        self.tasks: tuple[asyncio.Task[None], ...] = ()
        self.rate_key: str | None = None  # the device token's hash, as for HTTP frames
        self.enrolment = KioskEnrolmentMode(  # the desk may switch this kiosk to enrolment
            state, meeting_id=meeting_id, device=device, send=self.send
        )

    async def run(self) -> None:
        receiver = asyncio.create_task(self._receive_loop())
        analyser = asyncio.create_task(self._analyse_loop())
        listener = asyncio.create_task(self.enrolment.listen())
        self.tasks = (receiver, analyser)
        watch = watch_of(self.state)
        if watch is not None:
            watch.watch(Credential.device(self.device.device_id), self)
        try:
            await asyncio.wait({receiver, analyser}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            listener.cancel()
            with contextlib.suppress(BaseException):
                await listener
            if watch is not None:
                watch.forget(Credential.device(self.device.device_id), self)
            for task in (receiver, analyser):
                task.cancel()
            for task in (receiver, analyser):
                with contextlib.suppress(BaseException):
                    await task
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.websocket.close(code=self.close_code), timeout=1)

    def revoke(self) -> None:
        """Close this kiosk's socket: its device token was revoked."""
        self.close_code = CLOSE_REVOKED
        for task in self.tasks:
            task.cancel()

    async def send(self, message: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.websocket.send_text(json.dumps(message, ensure_ascii=False))

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await asyncio.wait_for(
                    self.websocket.receive(), timeout=IDLE_TIMEOUT_SECONDS
                )
            except (TimeoutError, WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes") is not None:
                await self._on_frame(message["bytes"])
            elif message.get("text") is not None:
                await self._on_text(message["text"])

    async def _on_frame(self, data: bytes) -> None:
        try:
            if self.rate_key is not None:
                await ratelimit.check_kiosk_frame(self.state, device_key=self.rate_key)
        except ratelimit.RateLimitedError as error:
            # An answer for the refused frame: a client that waits for one per frame goes on.
            await self.send({**ws_error(error, {}), "retry_after": error.retry_after})
            metrics.KIOSK_FRAMES_DROPPED.labels("rate_limited").inc()
            return
        self._offer_frame(data)

    def _offer_frame(self, data: bytes) -> None:
        if self.pending is not None:
            self.replaced += 1  # the older frame is never analysed
            metrics.KIOSK_FRAMES_DROPPED.labels("replaced").inc()
        self.pending = data
        self.ready.set()

    async def _analyse_loop(self) -> None:
        while True:
            await self.ready.wait()
            self.ready.clear()
            data, self.pending = self.pending, None
            if data is None:
                continue
            try:
                reply = await self._analyse(data)
            except MeetingStateError as error:
                await self.send(await run_in_threadpool(self._closed, error))
                return  # the meeting closed meanwhile: hang up
            except Exception as error:
                reply = ws_error(error, {})
            await self.send(reply)

    async def _analyse(self, data: bytes) -> dict[str, Any]:
        if self.enrolment.active:  # the desk asked this kiosk to enrol someone
            return await self.enrolment.frame(data)
        kiosk = self.device.kiosk
        now = time.monotonic()
        # Keyed by the device token's hash: the pool gives each kiosk its turn (a device with
        # several sockets shares one), so a busy door never starves the others.
        frame = await faces.analyse_frame(
            self.state, data, kiosk.frame_options(now), kiosk=self.rate_key
        )
        learning.remember(
            self.state,
            meeting_id=self.meeting_id,
            kiosk=self.device.name,
            frame=data,
            analysis=frame.analysis,
            at=now,
        )
        meeting_faces = await run_in_threadpool(self._load)
        update = kiosk.decide(frame.analysis, meeting_faces.gallery, now)
        arrivals = await run_in_threadpool(
            self._record, meeting_faces, update.check_ins, frame.codes
        )
        await learning.after_arrivals(  # a QR check-in may teach the face just seen
            self.state,
            meeting_id=self.meeting_id,
            kiosk=self.device.name,
            arrivals=arrivals,
            at=now,
        )
        described = [frames.describe_decision(meeting_faces, face) for face in update.faces]
        self.offers = {
            candidate["person_id"]: face["track_id"]
            for face in described
            if face["state"] == FaceState.confirm
            for candidate in face["candidates"]
        }
        return {
            "type": "faces",
            "width": frame.analysis.width,
            "height": frame.analysis.height,
            "faces": described,
            "checked_in": [arrival.as_dict() for arrival in arrivals],
        }

    def _closed(self, error: MeetingStateError) -> dict[str, Any]:
        with faces.open_session(self.state) as session:
            meeting = session.get(Meeting, self.meeting_id)
            assert meeting is not None
            return closed_message(meeting, error)

    def _load(self) -> MeetingFaces:
        with faces.open_session(self.state) as session:
            return frames.load_meeting_faces(
                session=session, meeting_id=self.meeting_id, cache=faces.services(self.state).cache
            )

    def _record(
        self, meeting_faces: MeetingFaces, check_ins: list[CheckIn], codes: list[str]
    ) -> list[Arrival]:
        with faces.open_session(self.state) as session:
            return record_arrivals(
                session=session,
                meeting_id=self.meeting_id,
                faces=meeting_faces,
                recognised=check_ins,
                codes=codes,
                signer=faces.services(self.state).signer,
                kiosk=self.device.name,
            )

    async def _on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await self.send({"type": "error", "error": "InvalidMessage", "detail": "Not JSON"})
            return
        try:
            reply = await self._handle(message)
        except Exception as error:
            reply = ws_error(error, message)
        await self.send(reply)

    async def _handle(self, message: dict[str, Any]) -> dict[str, Any]:
        kind = message.get("type")
        if kind == "ping":
            return {"type": "pong"}
        if kind != "confirm":
            return {"type": "error", "error": "UnknownType", "detail": f"Unknown type {kind!r}"}
        person_id = message.get("person_id")
        if not isinstance(person_id, int) or person_id not in self.offers:
            raise NotOfferedError("That name was not offered for a face in front of the kiosk")
        track_id = self.offers[person_id]
        check_in = self.device.kiosk.confirm(
            track_id=track_id, person_id=person_id, now=time.monotonic()
        )
        self.offers.clear()
        meeting_faces = await run_in_threadpool(self._load)
        arrivals = await run_in_threadpool(
            self._record, meeting_faces, [check_in] if check_in else [], []
        )
        if check_in is not None:  # a grey-zone tap is a second factor: it may teach
            await learning.after_tap(
                self.state, meeting_id=self.meeting_id, person_id=person_id, kiosk=self.device.name
            )
        return {
            "type": "confirmed",
            **meeting_faces.label(person_id),
            "checked_in": [arrival.as_dict() for arrival in arrivals],
        }
