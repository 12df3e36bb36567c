"""Voting benchmark: N eligible delegates (default 1,000) each cast one ballot within one second.

    .venv/bin/python -m bench.voting [--voters N] [--databases sqlite,postgresql] [--encrypted]

For each database: a fresh migrated database (SQLite in a temporary folder; on PostgreSQL a
database of its own, created and dropped here), N delegates invited with a voting right and
checked in, a login session each (created directly, no password hashing), and an open named
yes/no/abstain poll, all through the services. One real uvicorn server process; client
processes open every delegate's meeting websocket first (each caught up by the server, which a
ping answered shows), then each delegate sends its ballot at
its own moment spread evenly over one second and waits for its acknowledgement on its socket.
Measured: cast → acknowledgement p50/p99, acknowledged, stored (ballot rows), lost
(acknowledged but not stored), double (stored twice for one voter) and the tally at closing.
A table, then as the last line one JSON object. Traffic goes to 127.0.0.1 only.

--encrypted: the poll is an encrypted secret ballot (hop-eb-v1) and the ballots go as
"ballot.encrypted" messages, encrypted in the setup; then close, two trustees' partial
decryptions and the result, the independent verifier over the board, and a tablet's
encrypt + prove time in Chromium (bench._encrypted).
"""

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench._encrypted import (
    TARGET_TABLET_MS,
    TARGET_TALLY_VERIFY_S,
    TRUSTEES,
    check_and_tally,
    encrypt_all,
    open_encrypted_poll,
    tablet_times,
    tally_ok,
)
from bench._servers import (
    Server,
    checked_in_delegate,
    free_port,
    fresh_database,
    hop_env,
    populated,
    raise_nofile,
)
from voting.encrypted.devices import Device

PG_URL = "postgresql://postgres@127.0.0.1:5432/hop_bench_voting"
TARGET_P99_MS = {"sqlite": 1000.0, "postgresql": 500.0}
CHOICES = ("yes", "no", "abstain")


@dataclass(frozen=True)
class Scene:
    """What the clients need: the meeting, the poll, and each voter's id and session token."""

    database_url: str
    meeting_id: int
    poll_id: int
    after: int
    voters: list[tuple[int, str]]
    ballots: dict[int, Any] | None = None  # --encrypted: each voter's ballot object, by id


# Setup, through the services ---------------------------------------------------------------


def prepare(database_url: str, voters: int) -> Scene:
    """Migrate, then a clerk, a meeting, N checked-in delegates with sessions, an open poll."""
    return populated(database_url, lambda session: _populate(session, database_url, voters))


def _populate(session: Any, database_url: str, count: int) -> Scene:
    from models import PollCreate
    from voting import polls

    clerk, meeting, voters = _meeting_and_voters(session, count)
    data = PollCreate(title="Thông qua nghị quyết", quorum_fraction="1/2")
    poll = polls.open_poll(
        session=session,
        poll=polls.create_poll(session=session, meeting=meeting, data=data, creator=clerk),
    )
    return _scene(session, database_url, meeting, poll, voters)


def _scene(
    session: Any,
    database_url: str,
    meeting: Any,
    poll: Any,
    voters: list[tuple[int, str]],
    ballots: dict[int, Any] | None = None,
) -> Scene:
    from models import Meeting

    session.expire_all()
    refreshed = session.get(Meeting, meeting.id)
    assert meeting.id is not None
    assert poll.id is not None
    assert refreshed is not None
    return Scene(database_url, meeting.id, poll.id, refreshed.event_seq, voters, ballots)


def _meeting_and_voters(session: Any, count: int) -> tuple[Any, Any, list[tuple[int, str]]]:
    """A clerk, a running meeting, N checked-in delegates with a login session each."""
    from meetings import people, scheduling
    from models import (
        MeetingCreate,
        MeetingStatus,
        PersonCreate,
        Role,
    )
    from models.base import utcnow

    clerk = people.create_person(
        session=session,
        data=PersonCreate(username="bench_clerk", full_name="Thư ký", role=Role.secretariat),
    )
    start = utcnow()
    meeting = scheduling.create_meeting(
        session=session,
        data=MeetingCreate(
            title="Kỳ họp biểu quyết", start_at=start, end_at=start + _hours(3), location="A"
        ),
        creator=clerk,
    )
    # Polls open only in a running meeting (meetings.lifecycle).
    for status in (MeetingStatus.scheduled, MeetingStatus.in_progress):
        scheduling.change_status(session=session, meeting=meeting, status=status)
    voters = [checked_in_delegate(session, meeting, n, hours=2) for n in range(count)]
    return clerk, meeting, voters


def prepare_encrypted(database_url: str, voters: int) -> tuple[Scene, list[Device]]:
    """As prepare, with an encrypted poll set up by three of the voters as trustees, and
    every voter's ballot encrypted in advance (bench._encrypted)."""
    return populated(
        database_url, lambda session: _populate_encrypted(session, database_url, voters)
    )


def _populate_encrypted(session: Any, database_url: str, count: int) -> tuple[Scene, list[Device]]:
    from models import Person

    clerk, meeting, voters = _meeting_and_voters(session, count)
    trustees = [session.get(Person, voter_id) for voter_id, _ in voters[:TRUSTEES]]
    poll, devices = open_encrypted_poll(session, meeting, clerk, trustees)
    answers = {voter_id: CHOICES[voter_id % len(CHOICES)] for voter_id, _ in voters}
    ballots = encrypt_all(session, poll.id, answers)
    return _scene(session, database_url, meeting, poll, voters, ballots), devices


def _hours(n: int) -> Any:
    from datetime import timedelta

    return timedelta(hours=n)


# Clients: one process per share of the voters ------------------------------------------------


@dataclass(frozen=True)
class Cast:
    """One voter's ballot: what, when, and how it went."""

    voter_id: int
    choice: str
    latency_ms: float | None
    error: str | None = None


async def _vote(connection: Any, scene: Scene, voter_id: int, at: float, timeout: float) -> Cast:
    choice = CHOICES[voter_id % len(CHOICES)]
    nonce = uuid.uuid4().hex
    poll_id = scene.poll_id
    body: dict[str, Any] = {"type": "ballot", "poll_id": poll_id, "choice": choice, "nonce": nonce}
    if scene.ballots is not None:  # the same choice, encrypted in the setup
        ballot = scene.ballots[voter_id]
        body = {"type": "ballot.encrypted", "poll_id": poll_id, "ballot": ballot, "nonce": nonce}
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    sent = time.monotonic()
    await connection.send(json.dumps(body))
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = json.loads(await connection.recv())
                if message.get("type") == "ballot.ack" and message.get("nonce") == nonce:
                    return Cast(voter_id, choice, (time.monotonic() - sent) * 1000)
                if message.get("type") == "error" and message.get("ref") == nonce:
                    return Cast(voter_id, choice, None, str(message.get("error")))
    except TimeoutError:
        return Cast(voter_id, choice, None, "timeout")


async def _client_share(
    conn: Connection, port: int, scene: Scene, share: list[tuple[int, str]], timeout: float
) -> list[Cast]:
    from websockets.asyncio.client import connect

    url = f"ws://127.0.0.1:{port}/ws/meetings/{scene.meeting_id}?after={scene.after}"
    origin = f"http://127.0.0.1:{port}"
    opened = asyncio.Semaphore(64)

    async def open_one(token: str) -> Any:
        async with opened:
            socket_ = await connect(
                url,
                additional_headers={"Cookie": f"hop_session={token}", "Origin": origin},
                compression=None,
                ping_interval=None,
                max_queue=None,
                open_timeout=60,
            )
            # A tablet has the meeting open once the server has caught it up: the pong comes
            # through the socket's own queue, after the backlog.
            await socket_.send(json.dumps({"type": "ping"}))
            while json.loads(await socket_.recv()).get("type") != "pong":
                pass
            return socket_

    sockets = await asyncio.gather(*(open_one(token) for _, token in share))
    conn.send("ready")
    start_at, spread = conn.recv()
    offsets = [float(offset) for offset in spread]
    casts = await asyncio.gather(
        *(
            _vote(socket_, scene, voter_id, start_at + offset, timeout)
            for socket_, (voter_id, _), offset in zip(sockets, share, offsets, strict=True)
        )
    )
    await asyncio.gather(*(socket_.close() for socket_ in sockets), return_exceptions=True)
    return list(casts)


def client_main(
    conn: Connection, port: int, scene: Scene, share: list[tuple[int, str]], timeout: float
) -> None:
    raise_nofile()
    try:
        casts = asyncio.run(_client_share(conn, port, scene, share, timeout))
        conn.send([cast.__dict__ for cast in casts])
    except Exception as error:  # report, so that the parent does not wait for ever
        conn.send(f"error: {error!r}")
    finally:
        conn.close()


def run_clients(port: int, scene: Scene, processes: int, timeout: float) -> list[Cast]:
    """Connect every voter, then cast: voter i at start + i/N s (shares interleaved)."""
    context = multiprocessing.get_context("spawn")
    voters = scene.voters
    total = len(voters)
    shares = [list(range(k, total, processes)) for k in range(processes)]
    workers: list[tuple[Any, Connection]] = []
    for indexes in shares:
        parent, child = context.Pipe()
        share = [voters[i] for i in indexes]
        worker = context.Process(target=client_main, args=(child, port, scene, share, timeout))
        worker.start()
        workers.append((worker, parent))
    for _, parent in workers:
        if not parent.poll(180):
            raise RuntimeError("clients did not connect in time")
        ready = parent.recv()
        if ready != "ready":
            raise RuntimeError(f"a client process failed: {ready}")
    start_at = time.monotonic() + 0.5
    for (_, parent), indexes in zip(workers, shares, strict=True):
        parent.send((start_at, [i / total for i in indexes]))
    casts: list[Cast] = []
    for worker, parent in workers:
        answer = parent.recv() if parent.poll(timeout + 60) else "error: no answer"
        if isinstance(answer, str):
            raise RuntimeError(f"a client process failed: {answer}")
        casts.extend(Cast(**row) for row in answer)
        worker.join(10)
    return casts


# Checking the stored ballots ----------------------------------------------------------------


def check(scene: Scene, casts: list[Cast]) -> dict[str, Any]:
    """Stored, lost, double, and whether the tally at closing matches the acknowledged casts."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from models import Ballot, Poll
    from models.db import make_engine, open_session
    from voting import polls

    engine = make_engine(scene.database_url)
    try:
        with open_session(engine) as session:
            rows = session.exec(
                select(Ballot.voter_id, func.count())
                .where(Ballot.poll_id == scene.poll_id)
                .group_by(col(Ballot.voter_id))
            ).all()
            stored_voters = {voter for voter, _ in rows}
            acked = {cast.voter_id for cast in casts if cast.latency_ms is not None}
            poll = session.get(Poll, scene.poll_id)
            assert poll is not None
            result = polls.close_poll(session=session, poll=poll)
    finally:
        engine.dispose()
    expected = dict.fromkeys(CHOICES, 0)
    for cast in casts:
        if cast.voter_id in stored_voters:
            expected[cast.choice] += 1
    counted = {option["id"]: option["votes"] for option in result["options"]}
    counted["abstain"] = result["abstentions"]
    return {
        "stored": sum(n for _, n in rows),
        "lost": len(acked - stored_voters),
        "double": sum(n - 1 for _, n in rows if n > 1),
        "tally_ok": counted == expected and result["ballots"] == len(stored_voters),
    }


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return round(ordered[index], 1)


def run_one(database: str, voters: int, processes: int, timeout: float) -> dict[str, Any]:
    """One database: prepare, serve, cast, check; the PostgreSQL database is dropped after."""
    with (
        tempfile.TemporaryDirectory(prefix="hop-bench-voting-") as folder,
        fresh_database(database, Path(folder), PG_URL) as url,
    ):
        workdir = Path(folder)
        began = time.monotonic()
        scene = prepare(url, voters)
        setup_s = time.monotonic() - began
        log = workdir / "server.log"
        server = Server(hop_env(url, workdir / "var"), free_port(), log, backlog=4096)
        server.start()
        try:
            server.wait_ready()
            casts = run_clients(server.port, scene, processes, timeout)
        finally:
            server.stop()
        figures = check(scene, casts)
    latencies = [cast.latency_ms for cast in casts if cast.latency_ms is not None]
    errors = sorted({cast.error for cast in casts if cast.error})
    return {
        "voters": voters,
        "acked": len(latencies),
        **{key: figures[key] for key in ("stored", "lost", "double")},
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "tally_ok": figures["tally_ok"],
        "errors": errors,
        "setup_s": round(setup_s, 1),
    }


def run_one_encrypted(
    database: str, voters: int, processes: int, timeout: float, *, browser: bool
) -> dict[str, Any]:
    """The encrypted run on one database: the burst, then close, decrypt, verify (timed), and
    the tablet's encryption in Chromium (once, on the first database)."""
    with (
        tempfile.TemporaryDirectory(prefix="hop-bench-voting-") as folder,
        fresh_database(database, Path(folder), PG_URL) as url,
    ):
        workdir = Path(folder)
        began = time.monotonic()
        scene, devices = prepare_encrypted(url, voters)
        setup_s = time.monotonic() - began
        server = Server(
            hop_env(url, workdir / "var"), free_port(), workdir / "server.log", backlog=4096
        )
        server.start()
        try:
            server.wait_ready()
            casts = run_clients(server.port, scene, processes, timeout)
            tablet = tablet_times(server.url) if browser else None
        finally:
            server.stop()
        trustee_ids = [voter_id for voter_id, _ in scene.voters[:TRUSTEES]]
        figures = check_and_tally(url, scene.poll_id, devices, trustee_ids)
    return _encrypted_row(casts, figures, voters, setup_s) | {"tablet_ms": tablet}


def _encrypted_row(
    casts: list[Cast], figures: dict[str, Any], voters: int, setup_s: float
) -> dict[str, Any]:
    latencies = [cast.latency_ms for cast in casts if cast.latency_ms is not None]
    acked = {cast.voter_id for cast in casts if cast.latency_ms is not None}
    stored_voters: set[int] = figures["voters"]
    expected = dict.fromkeys(CHOICES, 0)
    for cast in casts:
        if cast.voter_id in stored_voters:
            expected[cast.choice] += 1
    tally_verify_s = figures["close_s"] + figures["decrypt_s"] + figures["verify_s"]
    return {
        "voters": voters,
        "acked": len(latencies),
        "stored": figures["stored"],
        "lost": len(acked - stored_voters),
        "double": figures["stored"] - len(stored_voters),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "close_s": round(figures["close_s"], 2),
        "decrypt_s": round(figures["decrypt_s"], 2),
        "verify_s": round(figures["verify_s"], 2),
        "tally_verify_s": round(tally_verify_s, 2),
        "tally_ok": tally_ok(figures["result"], expected, figures["stored"]),
        "verified": figures["verified"],
        "errors": sorted({cast.error for cast in casts if cast.error}),
        "setup_s": round(setup_s, 1),
    }


def encrypted_table(results: dict[str, dict[str, Any]]) -> str:
    """The burst as in the plain table, then tally and verify, then the tablet."""
    lines = [table(results), ""]
    lines.append(
        f"{'database':<11}{'close_s':>9}{'decrypt_s':>10}{'verify_s':>9}{'total_s':>9}"
        f"  target        result  verifier"
    )
    for database, row in results.items():
        total = row["tally_verify_s"]
        verdict = f"{'≤' if total <= TARGET_TALLY_VERIFY_S else '>'} {TARGET_TALLY_VERIFY_S:.0f} s"
        lines.append(
            f"{database:<11}{row['close_s']:>9}{row['decrypt_s']:>10}{row['verify_s']:>9}"
            f"{total:>9}  {verdict:<12}  {'ok' if row['tally_ok'] else 'WRONG':<6}  "
            f"{'valid' if row['verified'] else 'INVALID'}"
        )
    tablet = next((row["tablet_ms"] for row in results.values() if row["tablet_ms"]), None)
    if isinstance(tablet, dict):
        lines.append("")
        lines.append("tablet (Chromium), encrypt + prove one ballot, median of 20:")
        for name, ms in tablet.items():
            met = "≤" if ms <= TARGET_TABLET_MS else ">"
            lines.append(f"  {name:<12}{ms:>8} ms  {met} {TARGET_TABLET_MS:.0f} ms")
    elif tablet is not None:
        lines.append(f"tablet: not measured ({tablet})")
    return "\n".join(lines)


def table(results: dict[str, dict[str, Any]]) -> str:
    columns = ("voters", "acked", "stored", "lost", "double", "p50_ms", "p99_ms", "max_ms")
    lines = [
        f"{'database':<11}" + "".join(f"{name:>9}" for name in columns) + "  p99 target  tally"
    ]
    for database, row in results.items():
        target = TARGET_P99_MS[database]
        met = row["p99_ms"] is not None and row["p99_ms"] <= target
        cells = "".join(f"{str(row[name]):>9}" for name in columns)
        verdict = f"{'≤' if met else '>'} {target:.0f} ms"
        lines.append(
            f"{database:<11}{cells}  {verdict:<10}  {'ok' if row['tally_ok'] else 'WRONG'}"
        )
        if row["errors"]:
            lines.append(f"  errors: {', '.join(row['errors'])}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.voting", description=__doc__)
    parser.add_argument("--voters", type=int, default=1000, help="delegates (default 1000)")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql"
    )
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--timeout", type=float, default=30.0, help="longest wait for an ack, s")
    parser.add_argument(
        "--encrypted",
        action="store_true",
        help="encrypted ballots (hop-eb-v1): the burst, then tally and verify, and the tablet",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="--encrypted without the Chromium figure"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_nofile()
    results: dict[str, dict[str, Any]] = {}
    for database in [name.strip() for name in args.databases.split(",") if name.strip()]:
        if database not in TARGET_P99_MS:
            raise SystemExit(f"unknown database {database!r}")
        print(f"{database}: {args.voters} voters…", file=sys.stderr, flush=True)
        processes = max(1, min(args.processes, args.voters))
        if args.encrypted:
            browser = not args.no_browser and not results  # the tablet once, on the first
            row = run_one_encrypted(database, args.voters, processes, args.timeout, browser=browser)
            results[database] = row
        else:
            results[database] = run_one(database, args.voters, processes, args.timeout)
    print(encrypted_table(results) if args.encrypted else table(results))
    keys = ["voters", "acked", "stored", "lost", "double", "p50_ms", "p99_ms"]
    if args.encrypted:
        keys += ["tally_verify_s", "tally_ok", "verified", "tablet_ms"]
    print(json.dumps({db: {key: row[key] for key in keys} for db, row in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
