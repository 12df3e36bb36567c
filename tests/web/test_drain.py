"""A real server process drained by SIGTERM in the middle of a burst of ballots: /readyz goes
503 first, every tablet is told to reconnect (a "reconnect" message, then close code 1012), and
every ballot that was acknowledged is stored, once."""

import asyncio
import contextlib
import json
import random
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlmodel import Session, col, select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench._servers import Server, free_port, hop_env
from bench.voting import Scene, prepare
from models import Ballot, Poll
from models.db import make_engine
from voting.secrecy import nonce_hash

pytestmark = pytest.mark.slow

TABLETS = 40
DRAIN_SECONDS = 1.0
BURST_SECONDS = 2.0
SIGTERM_AT = 0.6  # seconds into the burst


@dataclass
class Tablet:
    """What one delegate's tablet saw."""

    voter_id: int
    acked: list[str] = field(default_factory=list)  # nonces acknowledged
    told_to_reconnect: bool = False
    close_code: int | None = None


@dataclass
class Probe:
    """The answers of /readyz over time, until the server stopped answering."""

    answers: list[tuple[float, int, str]] = field(default_factory=list)

    def first_draining(self) -> float | None:
        times = [at for at, status, text in self.answers if status == 503 and "draining" in text]
        return min(times, default=None)


@dataclass
class Hall:
    """The tablets open their sockets, then the burst starts for all at once."""

    poll_id: int
    opened: int = 0
    go: asyncio.Event = field(default_factory=asyncio.Event)


async def tablet(url: str, origin: str, voter: tuple[int, str], hall: Hall) -> Tablet:
    seen = Tablet(voter[0])
    headers = {"Cookie": f"hop_session={voter[1]}", "Origin": origin}
    async with connect(url, additional_headers=headers, open_timeout=30) as socket_:
        await socket_.send('{"type":"ping"}')  # caught up once the pong comes
        while json.loads(await socket_.recv())["type"] != "pong":
            pass
        hall.opened += 1
        sender = asyncio.create_task(cast_in_the_burst(socket_, hall))
        try:
            async for text in socket_:
                message = json.loads(text)
                if message.get("type") == "ballot.ack":
                    seen.acked.append(message["nonce"])
                elif message.get("type") == "reconnect":
                    seen.told_to_reconnect = True
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
        seen.close_code = socket_.close_code
    return seen


async def cast_in_the_burst(socket_: ClientConnection, hall: Hall) -> None:
    """The tablet's ballot at a random moment of the burst (after the close it is not sent:
    a real tablet sends it to the process it reconnects to)."""
    await hall.go.wait()
    await asyncio.sleep(random.uniform(0, BURST_SECONDS))
    choice = random.choice(("yes", "no", "abstain"))
    nonce = uuid.uuid4().hex
    ballot = {"type": "ballot", "poll_id": hall.poll_id, "choice": choice, "nonce": nonce}
    with contextlib.suppress(ConnectionClosed):
        await socket_.send(json.dumps(ballot))


async def probe_readiness(base: str, probe: Probe, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=1) as http:
        while not stop.is_set():
            try:
                answer = await http.get("/readyz")
                probe.answers.append((time.monotonic(), answer.status_code, answer.text))
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)


async def burst(server: Server, scene: Scene, probe: Probe) -> tuple[list[Tablet], float]:
    url = f"ws://127.0.0.1:{server.port}/ws/meetings/{scene.meeting_id}?after={scene.after}"
    hall = Hall(scene.poll_id)
    tablets = [asyncio.create_task(tablet(url, server.url, voter, hall)) for voter in scene.voters]
    async with asyncio.timeout(30):
        while hall.opened < len(tablets):
            await asyncio.sleep(0.02)
    stop = asyncio.Event()
    prober = asyncio.create_task(probe_readiness(server.url, probe, stop))
    hall.go.set()
    await asyncio.sleep(SIGTERM_AT)
    sigterm_at = time.monotonic()
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    seen = await asyncio.wait_for(asyncio.gather(*tablets), 30)
    while server.pid_alive():
        await asyncio.sleep(0.05)
    stop.set()
    await prober
    return seen, sigterm_at


def stored_ballots(database_url: str, poll_id: int) -> tuple[str, dict[int, list[Ballot]]]:
    """The poll's salt and its ballot rows per voter."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            poll = session.get(Poll, poll_id)
            assert poll is not None
            rows: dict[int, list[Ballot]] = {}
            for ballot in session.exec(select(Ballot).where(col(Ballot.poll_id) == poll_id)):
                rows.setdefault(ballot.voter_id, []).append(ballot)
            return poll.salt, rows
    finally:
        engine.dispose()


def stored_once(salt: str, rows: dict[int, list[Ballot]], tablet: Tablet) -> bool:
    """The voter has one ballot row, and it was cast with every nonce acknowledged to them."""
    ballots = rows.get(tablet.voter_id, [])
    hashes = {nonce_hash(salt=salt, voter_id=tablet.voter_id, nonce=n) for n in tablet.acked}
    return len(ballots) == 1 and hashes <= set(ballots[0].nonces)


def test_sigterm_mid_burst_drains_and_loses_no_acknowledged_ballot(
    database_url: str, tmp_path: Path
) -> None:
    scene = prepare(database_url, TABLETS)
    env = hop_env(database_url, tmp_path / "var", HOP_DRAIN_SECONDS=str(DRAIN_SECONDS))
    server = Server(env, free_port(), tmp_path / "server.log")
    server.start()
    try:
        server.wait_ready()
        probe = Probe()
        tablets, sigterm_at = asyncio.run(burst(server, scene, probe))
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()

    drained_at = probe.first_draining()
    assert drained_at is not None, f"/readyz never said draining; log:\n{log}"
    assert sigterm_at <= drained_at < sigterm_at + DRAIN_SECONDS
    assert all(code == 200 for at, code, _ in probe.answers if at < sigterm_at)

    assert [t.voter_id for t in tablets if t.close_code != 1012] == []
    assert [t.voter_id for t in tablets if not t.told_to_reconnect] == []
    acked = [t for t in tablets if t.acked]
    assert len(acked) >= TABLETS // 4, "the burst should be partly acknowledged before the close"
    salt, rows = stored_ballots(database_url, scene.poll_id)
    assert [t.voter_id for t in acked if not stored_once(salt, rows, t)] == []
    assert all(len(ballots) == 1 for ballots in rows.values())
    assert "timeout graceful shutdown exceeded" not in log
