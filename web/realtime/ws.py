"""The meeting websocket: authenticate → accept → missed events or snapshot → relay.

Clients send {"type": "ping"} and other typed messages; the server answers through the
client's own queue so that only one task ever writes to a socket.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from models import Meeting
from models.db import OUT_OF_RANGE, OUT_OF_RANGE_DETAIL, read_session
from web.auth import SESSION_COOKIE
from web.hub import RECONNECT, Client, Delivery, Notice
from web.i18n import LANG_COOKIE, pick_language
from web.realtime import catch_up, openings, revocation
from web.realtime.openings import Backlog
from web.sockets import Credential, Viewer
from web.state import AppState

log = logging.getLogger("hop.ws")
router = APIRouter()

IDLE_TIMEOUT_SECONDS = 60.0
CLOSE_POLICY = 1008
CLOSE_TOO_SLOW = 4008
CLOSE_REVOKED = 4001
CLOSE_INTERNAL = 1011
CLOSE_RESTART = 1012  # "service restart": this process is draining, reconnect elsewhere
ANSWER_WAIT_SECONDS = 5.0  # at a restart, how long an answer in flight (a ballot) is awaited


class Restarting(Exception):
    """The hub said RECONNECT: the sender finishes the answers in flight, then closes."""


def origin_allowed(websocket: WebSocket, allowed: list[str], *, by_cookie: bool) -> bool:
    """Browsers always send Origin: it must be this server's own (or configured) origin."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return not by_cookie  # a device client (kiosk CLI, benchmark) with a bearer token
    host = websocket.headers.get("host", "")
    parts = urlsplit(origin)
    own = parts.netloc == host and parts.scheme in {"http", "https"}
    return own or origin in allowed


def _token(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return websocket.query_params.get("token")


def load_backlog(state: AppState, meeting_id: int, after: int | None, viewer: Viewer) -> Backlog:
    """Messages to send first, and the sequence they bring the client to (blocking)."""
    with read_session(state.engine) as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            return [], 0
        return openings.backlog(session, meeting, after, viewer)


@router.websocket("/ws/meetings/{meeting_id}")
async def meeting_socket(websocket: WebSocket, meeting_id: int, after: int | None = None) -> None:
    state: AppState = websocket.app.state.hop
    if state.hub.closing:
        # Draining (web.drain): the screens were sent elsewhere; one coming back here would be
        # sent away again and again until the process stops. Refused: it tries the next one.
        await websocket.close(code=CLOSE_RESTART, reason="restarting")
        return
    by_cookie = SESSION_COOKIE in websocket.cookies
    if not origin_allowed(websocket, state.settings.allowed_origins, by_cookie=by_cookie):
        await websocket.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    # In the room before the log is read, so that no event falls in between; a client that
    # is not let in leaves before anything is sent, and what it may not see is dropped at
    # sending (Delivery.managers_only), since it is admitted before its role is known.
    client = Client(meeting_id=meeting_id, is_manager=False)
    state.hub.join(client)
    try:
        # Sockets open in batches (web.realtime.openings), one batcher per app (web.app).
        batcher: openings.Openings = websocket.app.state.openings
        opened = await batcher.open(
            state,
            meeting_id,
            after,
            cookie=websocket.cookies.get(SESSION_COOKIE),
            token=_token(websocket),
        )
        if opened is None:
            state.hub.leave(client)
            await websocket.close(code=CLOSE_POLICY, reason="not allowed")
            return
        viewer, backlog = opened
        client.is_manager = viewer.is_manager
        await websocket.accept()
    except BaseException:
        state.hub.leave(client)
        raise
    await Connection(state, websocket, viewer, client).run(backlog)


def credential_of(websocket: WebSocket, viewer: Viewer) -> Credential:
    """What the socket was let in by, so that revoking it closes the socket."""
    if viewer.device_id is not None:
        return Credential.device(viewer.device_id)
    return Credential.session(websocket.cookies.get(SESSION_COOKIE, ""))


class Connection:
    """One accepted socket: a sender task (queue → socket) and a receiver (socket → handlers)."""

    def __init__(self, state: AppState, websocket: WebSocket, viewer: Viewer, client: Client):
        self.state = state
        self.websocket = websocket
        self.gettext = state.translator.gettext(socket_language(state, websocket, viewer))
        self.say_error: SayError | None = getattr(websocket.app.state, "say_error", None)
        self.meeting_id = client.meeting_id
        self.viewer = viewer
        self.client = client  # already in the hub's room (see meeting_socket)
        self.last_seq = 0
        self.close_code = 1000
        self.answering = False  # the receiver is handling a message (a ballot being written)

    async def run(self, backlog: Backlog) -> None:
        hub = self.state.hub
        sender = asyncio.create_task(self._send_loop(backlog))
        receiver = asyncio.create_task(self._receive_loop())
        self.client.on_overflow = lambda: self._stop(sender, CLOSE_TOO_SLOW)
        if self.client.overflowed:  # while the handshake was still reading the log
            self.client.on_overflow()
        watch = revocation.watch_of(self.state)
        credential = credential_of(self.websocket, self.viewer)
        if watch is not None:
            watch.watch(credential, self)
        try:
            await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if watch is not None:
                watch.forget(credential, self)
            hub.leave(self.client)
            for task in (sender, receiver):
                task.cancel()
            for task in (sender, receiver):
                with contextlib.suppress(BaseException):
                    await task
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.websocket.close(code=self.close_code), timeout=1)

    def _stop(self, task: asyncio.Task[None], code: int) -> None:
        self.close_code = code
        task.cancel()

    def revoke(self) -> None:
        """Close this socket (its device token or login was revoked)."""
        self.client.overflowed = True
        self.client.on_overflow()
        self.close_code = CLOSE_REVOKED  # after on_overflow, which sets its own code

    async def _send_loop(self, backlog: Backlog) -> None:
        try:
            messages, self.last_seq = backlog
            await self._send_all(messages)
            queue = self.client.queue
            while True:  # the hub queues heartbeats, so no timeout per message here
                await self._send_item(await queue.get())
        except Restarting:
            self.close_code = CLOSE_RESTART
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, TimeoutError):
                await self._finish_answers()
        except (WebSocketDisconnect, RuntimeError):
            return  # the socket went away under us
        except Exception:
            # Reading the log to catch up failed (the database, most likely): say so, and
            # close as an error rather than a normal close, so that the client resyncs.
            log.exception("Meeting %s: a socket's sending stopped", self.meeting_id)
            self.close_code = CLOSE_INTERNAL

    async def _send_item(self, item: Delivery | Notice) -> None:
        if isinstance(item, Notice):
            if item.text is None:
                await self._catch_up()
            else:
                await self.websocket.send_text(item.text)
                if item is RECONNECT:
                    raise Restarting
            return
        if item.seq <= self.last_seq:
            return  # already sent from the backlog
        if item.seq > self.last_seq + 1:
            # A gap (commits published out of order, or a lost message): the log decides.
            await self._catch_up(needed=item.seq)
            return
        self.last_seq = item.seq
        if item.text is not None and (self.viewer.is_manager or not item.managers_only):
            await self.websocket.send_text(item.text)

    async def _finish_answers(self) -> None:
        """Relay until no message is being answered: a ballot read before the restart gets its
        acknowledgement on this socket (one read later is answered by the next process)."""
        queue = self.client.queue
        async with asyncio.timeout(ANSWER_WAIT_SECONDS):
            while self.answering or not queue.empty():
                await self._send_item(await queue.get())

    async def _catch_up(self, needed: int = 0) -> None:
        """Send what the log holds after our sequence (read once for every screen of the
        meeting that asks at the same time: web.realtime.catch_up), else a snapshot."""
        shared = await catch_up.events_after(
            self.state,
            self.meeting_id,
            self.last_seq,
            is_manager=self.viewer.is_manager,
            needed=needed,
        )
        if shared is None:
            messages, last = await run_in_threadpool(
                load_backlog, self.state, self.meeting_id, self.last_seq, self.viewer
            )
            self.last_seq = max(self.last_seq, last)
            await self._send_all(messages)
            return
        texts, last = shared
        self.last_seq = max(self.last_seq, last)
        for text in texts:
            if text is not None:
                await self.websocket.send_text(text)

    async def _send_all(self, messages: list[dict[str, Any] | None]) -> None:
        for message in messages:
            if message is not None:
                await self.websocket.send_text(json.dumps(message, ensure_ascii=False))

    async def _receive_loop(self) -> None:
        while True:
            try:
                text = await asyncio.wait_for(
                    self.websocket.receive_text(), timeout=IDLE_TIMEOUT_SECONDS
                )
            except (TimeoutError, WebSocketDisconnect, RuntimeError, KeyError):
                return
            self.answering = True
            try:
                reply = await self._handle(text)
                if reply is not None and reply.get("type") == "error":
                    reply = in_language(reply, self.say_error, self.gettext)
                if reply is not None:
                    self.client.offer(Notice(json.dumps(reply, ensure_ascii=False)))
            finally:
                self.answering = False

    async def _handle(self, text: str) -> dict[str, Any] | None:
        try:
            message = json.loads(text)
        except ValueError:
            return {"type": "error", "error": "InvalidMessage", "detail": "Not JSON"}
        if not isinstance(message, dict):
            return {"type": "error", "error": "InvalidMessage", "detail": "Not an object"}
        kind = message.get("type")
        if kind == "ping":
            return {"type": "pong"}
        handler = self.state.ws_handlers.get(str(kind))
        if handler is None:
            return {"type": "error", "error": "UnknownType", "detail": f"Unknown type {kind!r}"}
        try:
            return await handler(self.state, self.viewer, self.meeting_id, message)
        except Exception as error:
            return ws_error(error, message)


def socket_language(state: AppState, websocket: WebSocket, viewer: Viewer) -> str:
    """The language of the person (or screen) on the socket, chosen as a page's is."""
    settings = state.settings
    return pick_language(
        websocket.query_params.get("lang"),
        websocket.cookies.get(LANG_COOKIE),
        websocket.headers.get("accept-language"),
        settings.default_language,
        account=viewer.person.language if viewer.person is not None else None,
        use_browser=settings.use_browser_language,
    )


SayError = Callable[[str, int, Callable[[str], str]], str]


def in_language(
    reply: dict[str, Any], say: SayError | None, gettext: Callable[[str], str]
) -> dict[str, Any]:
    """An error reply with `message`, its detail in the socket's language, as JSON answers
    have; `detail` stays English for programs. `say` is web.errors.say_error, handed over on
    app.state (this package cannot import the pages, which import it)."""
    if say is None:
        return reply
    status = int(reply.get("status") or 400)
    return {**reply, "message": say(str(reply.get("detail", "")), status, gettext)}


def ws_error(error: Exception, message: dict[str, Any]) -> dict[str, Any]:
    """A domain error as a websocket message; anything else is logged, not leaked."""
    from core.errors import HopError

    reply: dict[str, Any] = {"type": "error", "ref": message.get("nonce")}
    if isinstance(error, HopError):
        return {
            **reply,
            "error": type(error).__name__,
            "detail": error.detail,
            "status": error.status_code,
        }
    if isinstance(error, OUT_OF_RANGE):
        return {**reply, "error": "ValidationError", "detail": OUT_OF_RANGE_DETAIL, "status": 422}
    log.exception("websocket handler failed")
    return {**reply, "error": "InternalError", "detail": "Something went wrong"}
