"""Benchmark tablets: a client process holds many meeting websockets and answers commands
from the parent over a pipe (connect, arm a target sequence, wait, record, collect).

Each tab behaves like web/static/live.js: it resumes with ?after=<last seq> and reconnects
with full-jitter exponential backoff (ceiling min(5 s, 0.5 s * 2^attempt)). The sockets use
the websockets library's sans-I/O client under a plain asyncio Protocol, so that thousands
of them cost the (shared, 2-core) machine as little CPU as possible.
"""

import asyncio
import json
import multiprocessing
import random
import time
from array import array
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, cast

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

from bench._servers import raise_nofile

PING_SECONDS = 20.0  # as live.js; the server closes sockets that say nothing for 60 s
OPENING_AT_ONCE = 64  # the first connections are paced; reconnections are not
OPEN_TIMEOUT = 30.0
BACKOFF = (0.5, 5.0)  # live.js: first ceiling and largest ceiling of a reconnection delay, s


class Refused(Exception):
    """The server answered the handshake with something else than 101."""


class TabSocket(asyncio.Protocol):
    """One websocket: the sans-I/O protocol fed by an asyncio transport."""

    def __init__(self, uri: str, on_text: Callable[[bytes], None]) -> None:
        self.uri = uri
        self.conn: ClientProtocol | None = None  # made once connected: most attempts fail
        self.on_text = on_text
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.conn = ClientProtocol(parse_uri(self.uri), max_size=None)
        self.conn.send_request(self.conn.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        assert self.conn is not None
        self.conn.receive_data(data)
        for event in self.conn.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self.on_text(bytes(event.data))
            elif isinstance(event, Response) and not self.opened.done():
                if self.conn.state is State.OPEN:
                    self.opened.set_result(None)
                else:
                    self.opened.set_exception(Refused(event.status_code))
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.conn.receive_eof()
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def send_text(self, text: str) -> None:
        if self.conn is not None and self.conn.state is State.OPEN:
            self.conn.send_text(text.encode())
            self._flush()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _flush(self) -> None:
        assert self.transport is not None
        assert self.conn is not None
        for chunk in self.conn.data_to_send():
            if chunk:
                self.transport.write(chunk)
            elif self.transport.can_write_eof():
                self.transport.write_eof()


class Tab:
    """One tablet: its URL, the last sequence it saw, and its socket when connected."""

    __slots__ = ("url", "host", "port", "last_seq", "socket", "reached")

    def __init__(self, url: str) -> None:
        self.url = url
        uri = parse_uri(url)
        self.host, self.port = uri.host, uri.port
        self.last_seq: int | None = None
        self.socket: TabSocket | None = None
        self.reached = False

    def resume_url(self) -> str:
        if self.last_seq is None:
            return self.url
        return f"{self.url}&after={self.last_seq}"


class Fleet:
    """Every tab of this process, and what the parent asked it to watch for."""

    def __init__(self, urls: list[str], backoff: tuple[float, float] = BACKOFF) -> None:
        self.tabs = [Tab(url) for url in urls]
        self.backoff = backoff
        self.target: int | None = None
        self.reached = 0
        self.last_reached_at = 0.0
        self.all_reached = asyncio.Event()
        self.record_after: int | None = None
        self.received: dict[int, array[float]] = {}
        self.reconnects = 0
        self.closing = False
        self.opening = asyncio.Semaphore(OPENING_AT_ONCE)

    # Messages -------------------------------------------------------------------------

    def on_message(self, tab: Tab, text: bytes) -> None:
        now = time.time()
        seq = json.loads(text).get("seq")
        if not isinstance(seq, int):
            return  # pong, heartbeat, progress
        if tab.last_seq is None or seq > tab.last_seq:
            tab.last_seq = seq
        if self.record_after is not None and seq > self.record_after:
            self.received.setdefault(seq, array("d")).append(now)
        if self.target is not None and not tab.reached and tab.last_seq >= self.target:
            self._reach(tab, now)

    def _reach(self, tab: Tab, now: float) -> None:
        tab.reached = True
        self.reached += 1
        self.last_reached_at = max(self.last_reached_at, now)
        if self.reached == len(self.tabs):
            self.all_reached.set()

    # Tabs -----------------------------------------------------------------------------

    async def run_tab(self, tab: Tab) -> None:
        attempt, first = 0, True
        while not self.closing:
            try:
                if first:
                    async with self.opening:
                        tab.socket = await self._open(tab)
                else:
                    tab.socket = await self._open(tab)
                first, attempt = False, 0
                await tab.socket.closed
            except (OSError, Refused, TimeoutError):
                pass
            tab.socket = None
            if self.closing:
                return
            self.reconnects += 1
            first_ceiling, largest = self.backoff
            await asyncio.sleep(random.random() * min(largest, first_ceiling * 2**attempt))
            attempt += 1

    async def _open(self, tab: Tab) -> TabSocket:
        url = tab.resume_url()
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(OPEN_TIMEOUT):
            _, socket = await loop.create_connection(
                lambda: TabSocket(url, lambda text: self.on_message(tab, text)),
                tab.host,
                tab.port,
            )
            try:
                await socket.opened
            except BaseException:
                socket.close()
                raise
        return socket

    async def ping_forever(self) -> None:
        """An application ping per tab every PING_SECONDS, spread evenly over time."""
        step = PING_SECONDS / max(1, len(self.tabs))
        while True:
            for tab in self.tabs:
                await asyncio.sleep(step)
                if tab.socket is not None:
                    tab.socket.send_text('{"type":"ping"}')

    # Commands -------------------------------------------------------------------------

    async def connected(self, timeout: float) -> int:
        """Wait until every tab has opened once (and seen its first message)."""
        self.arm(-1)
        await self.wait(timeout)
        return self.reached

    def arm(self, target: int) -> None:
        """Watch for every tab reaching this sequence."""
        self.target, self.reached, self.last_reached_at = target, 0, 0.0
        self.all_reached.clear()
        for tab in self.tabs:
            tab.reached = False
            if tab.last_seq is not None and tab.last_seq >= target:
                self._reach(tab, time.time())

    async def wait(self, timeout: float) -> dict[str, Any]:
        try:
            await asyncio.wait_for(self.all_reached.wait(), timeout)
        except TimeoutError:
            pass
        return {
            "reached": self.reached,
            "last_reached_at": self.last_reached_at,
            "reconnects": self.reconnects,
        }

    def record(self, after: int | None) -> dict[int, bytes]:
        """Start (or, with None, stop) recording receive times; return what was recorded."""
        out = {seq: times.tobytes() for seq, times in self.received.items()}
        self.record_after, self.received = after, {}
        return out


Handler = Callable[[Any], Awaitable[Any]]


async def serve(conn: Connection, urls: list[str], backoff: tuple[float, float]) -> None:
    fleet = Fleet(urls, backoff)
    tasks = [asyncio.create_task(fleet.run_tab(tab)) for tab in fleet.tabs]
    pinger = asyncio.create_task(fleet.ping_forever())
    handlers: dict[str, Handler] = {
        "connected": fleet.connected,
        "arm": _sync(fleet.arm),
        "wait": fleet.wait,
        "record": _sync(fleet.record),
    }
    loop = asyncio.get_running_loop()
    while True:
        command, argument = await loop.run_in_executor(None, conn.recv)
        if command == "close":
            break
        conn.send(await handlers[command](argument))
    fleet.closing = True
    pinger.cancel()
    await asyncio.gather(*(_close(tab) for tab in fleet.tabs))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    conn.send(None)


def _sync(function: Callable[[Any], Any]) -> Handler:
    async def call(argument: Any) -> Any:
        return function(argument)

    return call


async def _close(tab: Tab) -> None:
    if tab.socket is not None:
        tab.socket.close()


def worker_main(conn: Connection, urls: list[str], backoff: tuple[float, float]) -> None:
    """Entry point of a client process (on uvloop, as the server: less CPU per socket)."""
    raise_nofile()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(conn, urls, backoff))
    else:
        uvloop.run(serve(conn, urls, backoff))


class ClientPool:
    """The parent's handle on the client processes: a command goes to all, answers come back."""

    def __init__(
        self,
        urls: list[Any],
        processes: int,
        backoff: tuple[float, float] = BACKOFF,
        target: Callable[[Connection, list[Any], tuple[float, float]], None] | None = None,
    ) -> None:
        """`target` runs each client process (worker_main by default) with its share."""
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes: list[BaseProcess] = []
        for n in range(processes):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=target or worker_main,
                args=(theirs, urls[n::processes], backoff),
                daemon=True,
            )
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)

    def ask(self, command: str, argument: Any = None) -> list[Any]:
        for pipe in self.pipes:
            pipe.send((command, argument))
        return [pipe.recv() for pipe in self.pipes]

    def wait_for(self, target: int, timeout: float) -> dict[str, Any]:
        """Arm every process for a sequence, then wait until every tab has it (or timeout)."""
        self.ask("arm", target)
        return merge_waits(self.ask("wait", timeout))

    def close(self) -> None:
        for pipe in self.pipes:
            try:
                pipe.send(("close", None))
            except OSError:
                pass
        for pipe, process in zip(self.pipes, self.processes, strict=True):
            if pipe.poll(10):
                pipe.recv()
            process.join(5)
            if process.is_alive():
                process.terminate()


def merge_waits(answers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "reached": sum(answer["reached"] for answer in answers),
        "last_reached_at": max(answer["last_reached_at"] for answer in answers),
        "reconnects": sum(answer["reconnects"] for answer in answers),
    }
