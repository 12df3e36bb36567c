"""The websocket hub: committed events to every screen of a meeting, in this process or, with
Redis, in every process.

Each connected screen is a Client with a bounded queue: the hub only ever puts into queues
(never awaits a socket), so a slow tablet is cut off (it will resume) instead of stalling the
room. Events are serialised once per audience, not once per client.
"""

import asyncio
import contextlib
import json
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from models.events import CommittedEvent
from web import metrics

log = logging.getLogger("hop.hub")

CHANNEL = "hop:events"
QUEUE_SIZE = 512
# Screens must never see two progress messages less than 250 ms apart (issue 19); delivery to
# thousands of them jitters by tens of milliseconds, so the server keeps a margin.
PROGRESS_INTERVAL = 0.3
HEARTBEAT_SECONDS = 20.0
REORDER_WAIT = 0.05
SHUTDOWN_STEP_SECONDS = 5.0  # web.hub._finish


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for the clients of its meeting: its sequence and its text, which only the
    managers are sent when managers_only (the others' sequence still moves past it)."""

    seq: int
    text: str | None
    managers_only: bool = False


@dataclass(frozen=True, slots=True)
class Notice:
    """A message outside the log (progress, resync request); text None means resync."""

    text: str | None


RESYNC = Notice(None)
PING = Notice('{"type":"ping"}')
# This process is stopping: the sender passes it on and closes with 1012 (web.realtime.ws).
RECONNECT = Notice('{"type":"reconnect"}')
Outgoing = Delivery | Notice


class Outbox:
    """A bounded queue read by one task: what asyncio.Queue does for a client, with less
    work per item (a broadcast pays it once per recipient)."""

    __slots__ = ("_items", "_maxsize", "_waiter")

    def __init__(self, maxsize: int = QUEUE_SIZE) -> None:
        self._items: deque[Outgoing] = deque()
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Outgoing) -> None:
        if len(self._items) >= self._maxsize:
            raise asyncio.QueueFull
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def get_nowait(self) -> Outgoing:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    async def get(self) -> Outgoing:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


@dataclass(eq=False)
class Client:
    """One connected screen of one meeting."""

    meeting_id: int
    is_manager: bool
    on_overflow: Callable[[], None] = lambda: None
    queue: Outbox = field(default_factory=Outbox)
    overflowed: bool = False
    quiet: bool = False  # nothing queued since the last heartbeat

    def offer(self, item: Outgoing) -> None:
        """Queue without waiting; a full queue means this client cannot keep up."""
        self.quiet = False
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            metrics.SLOW_CLIENTS.inc()
            self.on_overflow()


ProgressComputer = Callable[[int, str], Awaitable[dict[str, Any] | None]]


class Hub:
    """Rooms of clients per meeting, fed by the in-process broker or Redis pub/sub."""

    def __init__(
        self,
        redis_url: str | None = None,
        channel: str = CHANNEL,
        heartbeat: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.redis_url = redis_url
        self.channel = channel
        self.heartbeat = heartbeat
        self._rooms: dict[int, set[Client]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._redis: Any = None
        self._subscriber: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._progress = ProgressCoalescer(self)
        self._sequencer = Sequencer(self._fan_out)
        self._alongside: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._alongside_tasks: list[asyncio.Task[None]] = []
        self.subscribed = asyncio.Event()
        self.closing = False  # reconnect_all was called: every client is sent RECONNECT

    # Life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._heartbeat = asyncio.create_task(self._beat_forever())
        self._alongside_tasks = [
            asyncio.create_task(run(), name=f"hub-{run.__qualname__}") for run in self._alongside
        ]
        if self.redis_url:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(
                self.redis_url, socket_connect_timeout=3, socket_keepalive=True
            )
            self._subscriber = asyncio.create_task(self._subscribe_forever())
        else:
            self.subscribed.set()

    async def stop(self) -> None:
        self._progress.cancel_all()
        self._sequencer.cancel_all()
        for task in (self._subscriber, self._heartbeat, *self._alongside_tasks):
            if task is not None:
                task.cancel()
                await _finish(task.get_name(), task)
        if self._redis is not None:
            await _finish("closing redis", self._redis.aclose())

    def run_alongside(self, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """A background loop (such as the revocation watch) started and stopped with the hub."""
        self._alongside.append(run)

    # Clients --------------------------------------------------------------------------

    def join(self, client: Client) -> None:
        self._rooms.setdefault(client.meeting_id, set()).add(client)
        if self.closing:  # a late arrival while draining goes elsewhere too
            client.offer(RECONNECT)

    def leave(self, client: Client) -> None:
        room = self._rooms.get(client.meeting_id)
        if room is not None:
            room.discard(client)
            if not room:
                del self._rooms[client.meeting_id]

    def client_count(self, meeting_id: int | None = None) -> int:
        if meeting_id is not None:
            return len(self._rooms.get(meeting_id, ()))
        return sum(len(room) for room in self._rooms.values())

    def room_sizes(self) -> dict[int, int]:
        """Open sockets per meeting (web.metrics reads it when scraped, on the event loop)."""
        return {meeting_id: len(room) for meeting_id, room in self._rooms.items()}

    # Publishing -----------------------------------------------------------------------

    def publish_threadsafe(self, events: list[CommittedEvent]) -> None:
        """Called after a commit, from whatever thread committed."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self.publish, events)

    def publish(self, events: list[CommittedEvent]) -> None:
        """On the event loop: fan out here, or through Redis to every process."""
        metrics.EVENTS_PUBLISHED.inc(len(events))
        if self._redis is None:
            self.deliver(events)
            return
        task = asyncio.create_task(self._publish_redis(events))
        task.add_done_callback(_log_failure)

    async def _publish_redis(self, events: list[CommittedEvent]) -> None:
        payload = json.dumps([_encode(event) for event in events])
        try:
            await self._redis.publish(self.channel, payload)
        except Exception as error:
            # The events are committed; local screens still get them, remote ones resync.
            log.warning("redis publish failed, delivering locally: %s", error)
            self.deliver(events)

    def deliver(self, events: list[CommittedEvent]) -> None:
        """Queue each event, in sequence order, for every client of its meeting (this process)."""
        for event in events:
            self._sequencer.push(event)

    def _fan_out(self, event: CommittedEvent) -> None:
        room = self._rooms.get(event.meeting_id)
        if room:
            text = json.dumps(event.message(), separators=(",", ":"), ensure_ascii=False)
            # One object for every client: the sender drops what its viewer may not see.
            delivery = Delivery(event.seq, text, event.audience != "everyone")
            metrics.EVENTS_DELIVERED.inc(len(room))
            for client in tuple(room):
                client.offer(delivery)
        self._progress.note(event)

    def notify(
        self, meeting_id: int, message: dict[str, Any], *, managers_only: bool = False
    ) -> None:
        """Send a message outside the log (such as progress) to a meeting's clients here."""
        notice = Notice(json.dumps(message, separators=(",", ":"), ensure_ascii=False))
        for client in tuple(self._rooms.get(meeting_id, ())):
            if client.is_manager or not managers_only:
                client.offer(notice)

    def reconnect_all(self) -> None:
        """Every client, now and later, is told to reconnect (to another process)."""
        self.closing = True
        for room in self._rooms.values():
            for client in tuple(room):
                client.offer(RECONNECT)

    async def redis_ready(self, timeout: float) -> bool | None:
        """None without Redis; else whether the subscriber listens and Redis answers a PING."""
        if self._redis is None:
            return None
        if not self.subscribed.is_set():
            return False
        try:
            return bool(await asyncio.wait_for(self._redis.ping(), timeout))
        except Exception as error:
            log.warning("redis readiness check failed: %s", error)
            return False

    def resync_all(self) -> None:
        """Every client reloads what it may have missed from the database."""
        for room in self._rooms.values():
            for client in tuple(room):
                client.offer(RESYNC)

    async def _beat_forever(self) -> None:
        """A ping to every client that was sent nothing for a heartbeat interval.

        One timer for the whole process: a timeout around each client's queue wait costs a
        timer per message and per recipient, which dominated the cost of a broadcast.
        """
        while True:
            await asyncio.sleep(self.heartbeat)
            for room in self._rooms.values():
                for client in tuple(room):
                    if client.quiet:
                        client.offer(PING)
                    client.quiet = True

    def register_progress(self, event_type: str, subject: str, compute: ProgressComputer) -> None:
        """After events of this type, send computed progress at most every 250 ms."""
        self._progress.register(event_type, subject, compute)

    # Redis ----------------------------------------------------------------------------

    async def _subscribe_forever(self) -> None:
        backoff, failed = 0.2, False
        while True:
            try:
                await self._listen(resync=failed)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.subscribed.clear()
                failed = True
                log.warning("redis subscriber lost (%s); retrying in %.1fs", error, backoff)
                await asyncio.sleep(backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.2

    async def _listen(self, *, resync: bool) -> None:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            self.subscribed.set()
            if resync:
                self.resync_all()
            idle = 0.0
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None:
                    idle += 1.0
                    if idle >= 5.0:  # a dead connection must raise, not hang quietly
                        await asyncio.wait_for(pubsub.ping(), timeout=3)
                        idle = 0.0
                    continue
                idle = 0.0
                if message.get("type") == "message":
                    self.deliver([_decode(item) for item in json.loads(message["data"])])
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()


async def _finish(step: str, awaitable: Awaitable[Any]) -> None:
    """Await one step of the hub's shutdown, but never past SHUTDOWN_STEP_SECONDS.

    A stop that hangs (redis-py's close has, redis/redis-py#3941) would hold the whole
    lifespan and with it the process's exit; it is logged with where it stood and left.
    """
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=SHUTDOWN_STEP_SECONDS)
    if not done:
        frames = "".join(
            f"\n  {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
            for frame in task.get_stack()
        )
        log.warning(
            "hub shutdown: %s did not finish within %.1fs, left behind at:%s",
            step,
            SHUTDOWN_STEP_SECONDS,
            frames,
        )
        return
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()


class Sequencer:
    """Puts each meeting's events back in sequence order before they are fanned out.

    Transactions committed in different threads (or processes, through Redis) may publish
    out of order. Passed on as they come, a later event makes every client of the meeting
    see a gap and reload from the database at once; held back briefly, it follows the
    earlier one. An event that never comes only delays the later ones by REORDER_WAIT.
    """

    def __init__(
        self, release: Callable[[CommittedEvent], None], wait: float = REORDER_WAIT
    ) -> None:
        self._release = release
        self._wait = wait
        self._next: dict[int, int] = {}
        self._held: dict[int, dict[int, CommittedEvent]] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}

    def push(self, event: CommittedEvent) -> None:
        meeting = event.meeting_id
        expected = self._next.get(meeting)
        if expected is not None and event.seq > expected:
            self._held.setdefault(meeting, {})[event.seq] = event
            if meeting not in self._timers:
                loop = asyncio.get_running_loop()
                self._timers[meeting] = loop.call_later(self._wait, self._give_up, meeting)
            return
        self._pass(event)
        self._drain(meeting)

    def _pass(self, event: CommittedEvent) -> None:
        self._next[event.meeting_id] = max(self._next.get(event.meeting_id, 0), event.seq + 1)
        self._release(event)

    def _drain(self, meeting: int) -> None:
        held = self._held.get(meeting)
        while held and self._next[meeting] in held:
            self._pass(held.pop(self._next[meeting]))
        if held is not None and not held:
            del self._held[meeting]
            timer = self._timers.pop(meeting, None)
            if timer is not None:
                timer.cancel()

    def cancel_all(self) -> None:
        for timer in self._timers.values():
            timer.cancel()

    def _give_up(self, meeting: int) -> None:
        """The missing events are lost or slow: clients will read them from the log."""
        self._timers.pop(meeting, None)
        held = self._held.pop(meeting, {})
        for seq in sorted(held):
            self._pass(held[seq])


class ProgressCoalescer:
    """Counts that change often go out at most once per interval per subject."""

    def __init__(self, hub: Hub, interval: float = PROGRESS_INTERVAL) -> None:
        self.hub = hub
        self.interval = interval
        self._computers: dict[str, tuple[str, ProgressComputer]] = {}
        self._timers: dict[tuple[int, str], asyncio.Task[None]] = {}
        self._dirty: set[tuple[int, str]] = set()

    def register(self, event_type: str, subject: str, compute: ProgressComputer) -> None:
        self._computers[event_type] = (subject, compute)

    def note(self, event: CommittedEvent) -> None:
        entry = self._computers.get(event.type)
        if entry is None or event.meeting_id not in self.hub._rooms:
            return
        subject = entry[0].format(**event.data)
        key = (event.meeting_id, subject)
        self._dirty.add(key)
        if key not in self._timers:
            self._timers[key] = asyncio.create_task(self._run(key, entry[1]))

    async def _run(self, key: tuple[int, str], compute: ProgressComputer) -> None:
        try:
            while key in self._dirty:
                self._dirty.discard(key)
                data = await compute(*key)
                if data is not None:
                    message = {"seq": None, "type": "progress", "data": {"subject": key[1], **data}}
                    self.hub.notify(key[0], message, managers_only=bool(data.get("managers_only")))
                await asyncio.sleep(self.interval)
        except Exception:
            log.exception("progress computation failed for %s", key)
        finally:
            self._timers.pop(key, None)

    def cancel_all(self) -> None:
        for task in self._timers.values():
            task.cancel()


def _encode(event: CommittedEvent) -> dict[str, Any]:
    return {
        "meeting_id": event.meeting_id,
        "seq": event.seq,
        "type": event.type,
        "data": event.data,
        "audience": event.audience,
    }


def _decode(item: dict[str, Any]) -> CommittedEvent:
    return CommittedEvent(
        meeting_id=int(item["meeting_id"]),
        seq=int(item["seq"]),
        type=str(item["type"]),
        data=dict(item["data"]),
        audience=str(item["audience"]),
    )


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("hub task failed", exc_info=task.exception())
