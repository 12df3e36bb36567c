"""The congress's screens in client processes: delegates' tablets (session cookie), the
projector (device token) and the chair's console (the clerk's session), on bench._clients'
cheap sans-I/O sockets and its Fleet (resume with ?after=, reconnect with backoff).

Beyond the Fleet, each screen notes when it first saw each poll event, follows the poll's
progress messages (interval, going backwards), and a tablet casts one ballot per poll at the
moment it is given, acknowledged by nonce; a ballot not yet acknowledged when its socket
drops is sent again, with the same nonce, as soon as the tablet has reconnected (to either
server process: a proxy's pick). A tablet that reconnected pings: the pong comes after the
backlog the server sent it, so then it has caught up.
"""

import asyncio
import json
import random
import re
import time
import uuid
from array import array
from multiprocessing.connection import Connection
from typing import Any

from websockets.uri import parse_uri

from bench._clients import OPEN_TIMEOUT, ClientPool, Fleet, Tab, TabSocket
from bench._servers import raise_nofile

CHOICES = ("yes", "no", "abstain")
TABLET, PROJECTOR, CHAIR = "tablet", "projector", "chair"
EventKey = tuple[str, int]  # event type, poll id


# A published result lists every voter: read only its head, as a tablet's own CPU would parse
# the rest, not the two cores the clients share with the servers.
BIG = 4096
HEAD = re.compile(rb'^\{"seq": ?(\d+), ?"type": ?"([^"]+)", ?"data": ?\{"poll_id": ?(\d+)')


def _head(text: bytes) -> dict[str, Any] | None:
    """seq, type and data.poll_id of an event message, from its first bytes."""
    found = HEAD.match(text[:200])
    if found is None:
        return None
    seq, kind, poll_id = found.groups()
    return {"seq": int(seq), "type": kind.decode(), "data": {"poll_id": int(poll_id)}}


class SessionSocket(TabSocket):
    """A TabSocket whose handshake carries a login cookie and the page's Origin, as a browser's."""

    def __init__(self, uri: str, cookie: str | None, on_text: Any) -> None:
        super().__init__(uri, on_text)
        self.cookie = cookie

    def connection_made(self, transport: Any) -> None:
        from websockets.client import ClientProtocol

        self.transport = transport
        self.conn = ClientProtocol(parse_uri(self.uri), max_size=None)
        request = self.conn.connect()
        if self.cookie is not None:
            uri = parse_uri(self.uri)
            request.headers["Cookie"] = f"hop_session={self.cookie}"
            request.headers["Origin"] = f"http://{uri.host}:{uri.port}"
        self.conn.send_request(request)
        self._flush()


class Ballot:
    """One cast: what, when it was due and first sent, when acknowledged, how often sent."""

    __slots__ = ("poll_id", "text", "nonce", "due", "acked", "sends", "error")

    def __init__(self, poll_id: int, choice: str, due: float) -> None:
        self.poll_id = poll_id
        self.nonce = uuid.uuid4().hex
        body = {"type": "ballot", "poll_id": poll_id, "choice": choice, "nonce": self.nonce}
        self.text = json.dumps(body)
        self.due = due
        self.acked: float | None = None
        self.sends = 0
        self.error: str | None = None


class Screen(Tab):
    """A tablet, the projector or the chair: its server URLs, login, and what it saw."""

    __slots__ = (
        "urls",
        "cookie",
        "kind",
        "voter_id",
        "index",
        "seen",
        "ballot",
        "progress",
        "dropped_at",
        "resynced_at",
        "refused",
        "attempts",
        "opened_at",
    )

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec["urls"][0])
        self.urls: list[str] = spec["urls"]
        self.cookie: str | None = spec.get("cookie")
        self.kind: str = spec["kind"]
        self.voter_id: int | None = spec.get("voter_id")
        self.index: int = spec.get("index", 0)
        self.seen: dict[EventKey, float] = {}
        self.ballot: Ballot | None = None
        self.progress = Progress()
        self.dropped_at: float | None = None
        self.resynced_at: float | None = None
        self.refused = False
        self.attempts = 0  # connection attempts since the socket was lost
        self.opened_at: float | None = None  # when the socket was open again

    def resume_url(self) -> str:
        if self.last_seq is None:
            return self.url
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}after={self.last_seq}"


class Progress:
    """One screen's view of a poll's progress messages."""

    __slots__ = ("poll_id", "count", "last_at", "last_done", "min_interval", "backwards")

    def __init__(self, poll_id: int | None = None) -> None:
        self.poll_id = poll_id
        self.count = 0
        self.last_at: float | None = None
        self.last_done = -1
        self.min_interval: float | None = None
        self.backwards = 0

    def note(self, now: float, done: int) -> None:
        if self.last_at is not None:
            gap = now - self.last_at
            self.min_interval = gap if self.min_interval is None else min(self.min_interval, gap)
        if done < self.last_done:
            self.backwards += 1
        self.count, self.last_at, self.last_done = self.count + 1, now, max(done, self.last_done)


class Hall(Fleet):
    """Every screen of this client process, and the commands the parent sends them."""

    def __init__(self, specs: list[dict[str, Any]], backoff: tuple[float, float]) -> None:
        super().__init__([], backoff)
        self.tabs: list[Screen] = [Screen(spec) for spec in specs]  # type: ignore[assignment]
        self.changed = asyncio.Event()  # something a waiting command looks at happened
        self._background: set[asyncio.Task[None]] = set()
        self.biggest = 0  # bytes of the largest message received

    # Messages --------------------------------------------------------------------------

    def on_message(self, tab: Tab, text: bytes) -> None:
        assert isinstance(tab, Screen)
        now = time.time()
        self.biggest = max(self.biggest, len(text))
        message = _head(text) if len(text) > BIG else None
        if message is None:
            message = json.loads(text)
        kind, seq = message.get("type"), message.get("seq")
        if isinstance(seq, int):
            if tab.last_seq is None or seq > tab.last_seq:
                tab.last_seq = seq
            data = message.get("data") or {}
            key = (str(kind), data.get("poll_id") if isinstance(data, dict) else None)
            if isinstance(key[1], int) and key not in tab.seen:
                tab.seen[key] = now  # type: ignore[index]
                self.changed.set()
            if self.target is not None and not tab.reached and tab.last_seq >= self.target:
                self._reach(tab, now)
        elif kind == "progress":
            data = message["data"]
            if data.get("poll_id") == tab.progress.poll_id:
                tab.progress.note(now, int(data["done"]))
        elif kind == "ballot.ack":
            self._acked(tab, message.get("nonce"), now)
        elif kind == "error":
            ballot = tab.ballot
            if ballot is not None and message.get("ref") == ballot.nonce:
                ballot.error = str(message.get("error"))
                self.changed.set()
        elif kind == "pong" and tab.dropped_at is not None and tab.resynced_at is None:
            tab.resynced_at = now
            self.changed.set()

    def _acked(self, tab: Screen, nonce: Any, now: float) -> None:
        ballot = tab.ballot
        if ballot is not None and ballot.nonce == nonce and ballot.acked is None:
            ballot.acked = now
            self.changed.set()

    # Sockets ---------------------------------------------------------------------------

    async def _open(self, tab: Tab) -> TabSocket:
        assert isinstance(tab, Screen)
        if tab.last_seq is not None:
            self._reroute(tab)
        url = tab.resume_url()
        uri = parse_uri(url)
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(OPEN_TIMEOUT):
            try:
                _, socket = await loop.create_connection(
                    lambda: SessionSocket(url, tab.cookie, lambda text: self.on_message(tab, text)),
                    uri.host,
                    uri.port,
                )
            except OSError:
                tab.refused = True
                raise
            try:
                await socket.opened
            except BaseException:
                socket.close()
                raise
        if tab.dropped_at is not None:
            tab.opened_at = time.time()
            socket.send_text('{"type":"ping"}')
        ballot = tab.ballot
        if ballot is not None and ballot.acked is None and ballot.sends:
            ballot.sends += 1  # the same nonce: stored once whatever the first send became
            socket.send_text(ballot.text)
        return socket

    @staticmethod
    def _reroute(tab: "Screen") -> None:
        """A reconnection goes where a proxy would send it: to either process at first, to
        the other one after a refusal (a proxy's passive health check)."""
        if tab.dropped_at is None:
            tab.dropped_at, tab.resynced_at = time.time(), None
            tab.attempts, tab.opened_at = 0, None
        tab.attempts += 1
        if tab.refused:
            tab.url = tab.urls[(tab.urls.index(tab.url) + 1) % len(tab.urls)]
        else:
            tab.url = random.choice(tab.urls)
        tab.refused = False

    # Commands --------------------------------------------------------------------------

    def tablets(self) -> list[Screen]:
        return [tab for tab in self.tabs if isinstance(tab, Screen) and tab.kind == TABLET]

    def screens(self) -> list[Screen]:
        return [tab for tab in self.tabs if isinstance(tab, Screen)]

    async def wait_event(self, argument: tuple[str, int, list[str], float]) -> dict[str, Any]:
        """Until every screen of these kinds has seen the poll's event: when each saw it."""
        kind, poll_id, kinds, timeout = argument
        key = (kind, poll_id)
        screens = [tab for tab in self.screens() if tab.kind in kinds]
        await self._until(lambda: all(key in tab.seen for tab in screens), timeout)
        times = array("d", (tab.seen[key] for tab in screens if key in tab.seen))
        return {"expected": len(screens), "times": times.tobytes(), "biggest": self.biggest}

    async def _until(self, done: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                return

    async def follow(self, poll_id: int) -> None:
        """Watch this poll's progress from now on (anew), on every screen."""
        for tab in self.screens():
            tab.progress = Progress(poll_id)
            tab.dropped_at = tab.resynced_at = None

    async def burst(self, argument: tuple[int, float, float, int]) -> None:
        """Tablet i (of `total`) casts at start + i/total x spread (wall clock), in the
        background: the parent waits with wait_acks."""
        poll_id, start, spread, total = argument
        tablets = sorted(self.tablets(), key=lambda tab: tab.index)
        for tab in tablets:
            assert tab.voter_id is not None
            due = start + tab.index / max(1, total) * spread
            tab.ballot = Ballot(poll_id, CHOICES[tab.voter_id % len(CHOICES)], due)
        task = asyncio.create_task(self._cast_in_turn(tablets))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _cast_in_turn(self, tablets: list[Screen]) -> None:
        for tab in tablets:
            ballot = tab.ballot
            assert ballot is not None
            await asyncio.sleep(max(0.0, ballot.due - time.time()))
            ballot.sends += 1  # sent now, or by _open once the tablet has reconnected
            if tab.socket is not None:
                tab.socket.send_text(ballot.text)

    async def wait_acks(self, timeout: float) -> list[tuple[Any, ...]]:
        """Until every tablet's ballot is acknowledged (or refused): per tablet, its voter,
        due, acknowledged (None if not), sends, error, dropped and caught up again."""
        tablets = self.tablets()

        def settled() -> bool:
            return all(t.ballot is None or t.ballot.acked or t.ballot.error for t in tablets)

        await self._until(settled, timeout)
        return [_outcome(tab) for tab in tablets]

    async def resynced(self, timeout: float) -> list[tuple[float, float | None, float | None, int]]:
        """Until every screen that lost its socket has caught up: when each dropped, when it
        had caught up (None if it has not), when its socket was open again, and in how many
        connection attempts."""
        dropped = [tab for tab in self.screens() if tab.dropped_at is not None]
        await self._until(lambda: all(tab.resynced_at for tab in dropped), timeout)
        return [
            (tab.dropped_at or 0.0, tab.resynced_at, tab.opened_at, tab.attempts) for tab in dropped
        ]

    async def progress_seen(self, _: Any) -> list[tuple[str, int, float | None, int, int]]:
        """Per screen: kind, progress messages, shortest interval, backwards steps, last."""
        return [
            (tab.kind, p.count, p.min_interval, p.backwards, p.last_done)
            for tab in self.screens()
            for p in (tab.progress,)
        ]


def _outcome(tab: Screen) -> tuple[Any, ...]:
    ballot = tab.ballot
    if ballot is None:
        return (tab.voter_id, None, None, 0, "not cast", tab.dropped_at, tab.resynced_at)
    return (
        tab.voter_id,
        ballot.due,
        ballot.acked,
        ballot.sends,
        ballot.error,
        tab.dropped_at,
        tab.resynced_at,
    )


async def serve(
    conn: Connection, specs: list[dict[str, Any]], backoff: tuple[float, float]
) -> None:
    hall = Hall(specs, backoff)
    tasks = [asyncio.create_task(hall.run_tab(tab)) for tab in hall.tabs]
    pinger = asyncio.create_task(hall.ping_forever())
    handlers = {
        "connected": hall.connected,
        "wait_event": hall.wait_event,
        "follow": hall.follow,
        "burst": hall.burst,
        "wait_acks": hall.wait_acks,
        "resynced": hall.resynced,
        "progress": hall.progress_seen,
    }
    loop = asyncio.get_running_loop()
    while True:
        command, argument = await loop.run_in_executor(None, conn.recv)
        if command == "close":
            break
        conn.send(await handlers[command](argument))  # type: ignore[operator]
    hall.closing = True
    pinger.cancel()
    for tab in hall.tabs:
        if tab.socket is not None:
            tab.socket.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    conn.send(None)


def worker_main(
    conn: Connection, specs: list[dict[str, Any]], backoff: tuple[float, float]
) -> None:
    """A client process, on uvloop as bench._clients' (less CPU per socket)."""
    raise_nofile()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(conn, specs, backoff))
    else:
        uvloop.run(serve(conn, specs, backoff))


def start_pool(
    specs: list[dict[str, Any]], processes: int, backoff: tuple[float, float]
) -> ClientPool:
    """The client processes, each with every processes-th screen."""
    return ClientPool(specs, processes, backoff, target=worker_main)
