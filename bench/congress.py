"""Congress benchmark: a whole vote of N delegates (default 2,000) on two server processes.

    .venv/bin/python -m bench.congress [--clients N] [--kiosks 2] [--spread 2]

A fresh PostgreSQL database of its own (created and dropped here), Redis (a channel of its own)
and TWO uvicorn processes sharing them. N delegates invited with a voting right, checked in,
each with a login session (made directly, no password hashing); their tablets' meeting sockets
(session cookie) split over the two processes, held by two client processes (bench._clients'
cheap sans-I/O sockets: resume with ?after=, reconnect with backoff). Also a projector socket
(device token), the chair's console socket (the clerk's session) and two kiosks streaming real
face frames (bench.kiosks' polite kiosks, people stepping up) from phase (b) to the end. The
chair opens, closes and publishes the polls over HTTP (/api/polls/...), logged in as the clerk.

(a) poll opens: open request → `poll.opened` on each tablet's socket: p50/p99/max.
(b) every delegate casts within --spread seconds (evenly) over their socket: cast → `ballot.ack`
    p50/p99; progress messages on every screen (projector, chair, tablets): shortest interval
    and whether the count ever went back; lost (acknowledged, not stored) and double (a voter
    stored twice), from the database.
(c) close and publish: close request → `poll.published` (the result) on every tablet and the
    projector: p50/p99/max (and → `poll.closed`).
(d) a second poll, the same burst; halfway through it server process 2 is killed with SIGKILL
    and started again. Its screens reconnect to either process (a proxy's pick), resume with
    ?after= and send again, with the same nonce, the ballots not acknowledged. Resync: kill →
    the last of the dropped screens caught up (its ping answered after its backlog) and the last
    of their ballots acknowledged; every screen then sees the poll closed (caught up).
(e) the kiosks' frame → decision latency p50/p95 over (b)-(d) (and greeting p95).

A table, then as the last line one JSON object. Traffic goes to 127.0.0.1 only.
"""

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2 as httpx
import numpy as np

from bench import _congress_scene, kiosks
from bench._clients import ClientPool
from bench._congress_kiosks import Kiosks, footage
from bench._congress_kiosks import figures as kiosk_figures
from bench._congress_tablets import CHAIR, PROJECTOR, TABLET, start_pool
from bench._servers import Server, free_port, fresh_database, hop_env, raise_nofile
from bench.durability import _headers

PG_URL = "postgresql://postgres@127.0.0.1:5432/hop_bench_congress"
REDIS_URL = "redis://127.0.0.1:6379/0"
FACES = Path(__file__).resolve().parent.parent.parent / "shared" / "faces"
TARGETS = {
    "open_p99_ms": 1000.0,
    "ack_p99_ms": 1000.0,
    "result_p99_ms": 1000.0,
    "resync_s": 10.0,
    "kiosk_p95_ms": 1000.0,
}
PROGRESS_MIN_MS = 250.0


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Chair:
    """The clerk at the secretariat's page: HTTP requests to one server, with their session."""

    def __init__(self, server: Server, token: str) -> None:
        self.http = httpx.Client(base_url=server.url, timeout=60, headers=_headers(token))

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def close(self) -> None:
        self.http.close()


# Screens ------------------------------------------------------------------------------------


def screens(hall: _congress_scene.Hall, servers: list[Server]) -> list[dict[str, Any]]:
    """Tablet i on server i mod 2 (the other one its fallback), the projector on the second,
    the chair's console on the first."""
    path = f"/ws/meetings/{hall.meeting_id}"
    ws = [server.url.replace("http", "ws") + path for server in servers]
    specs = [
        {
            "urls": [ws[i % 2], ws[(i + 1) % 2]],
            "cookie": token,
            "kind": TABLET,
            "voter_id": voter,
            "index": i,
        }
        for i, (voter, token) in enumerate(hall.delegates)
    ]
    query = f"?token={hall.projector_token}"
    specs.append({"urls": [ws[1] + query, ws[0] + query], "kind": PROJECTOR})
    specs.append({"urls": [ws[0], ws[1]], "cookie": hall.clerk_token, "kind": CHAIR})
    return specs


def wait_event(
    pool: ClientPool, kind: str, poll_id: int, kinds: list[str], timeout: float
) -> tuple[np.ndarray, int]:
    """When each screen of these kinds saw the event (wall clock), and how many should have."""
    answers = pool.ask("wait_event", (kind, poll_id, kinds, timeout))
    times = [np.frombuffer(answer["times"], dtype=np.float64) for answer in answers]
    return np.concatenate(times), sum(answer["expected"] for answer in answers)


def spread_ms(times: np.ndarray, since: float, prefix: str) -> dict[str, float | None]:
    if not times.size:
        return {f"{prefix}_p50_ms": None, f"{prefix}_p99_ms": None, f"{prefix}_max_ms": None}
    values = (times - since) * 1000
    p50, p99 = np.percentile(values, [50, 99])
    return {
        f"{prefix}_p50_ms": round(float(p50), 1),
        f"{prefix}_p99_ms": round(float(p99), 1),
        f"{prefix}_max_ms": round(float(values.max()), 1),
    }


# Phases -------------------------------------------------------------------------------------


def phase_open(pool: ClientPool, chair: Chair, poll_id: int, clients: int, timeout: float) -> dict:
    """(a) open request → the poll on every tablet."""
    pool.ask("follow", poll_id)
    began = time.time()
    chair.post(f"/api/polls/{poll_id}/open")
    answered = time.time()
    times, _ = wait_event(pool, "poll.opened", poll_id, [TABLET], timeout)
    return {
        **spread_ms(times, began, "open"),
        "open_request_ms": round((answered - began) * 1000, 1),
        "opened_on": int(times.size),
    }


def burst(pool: ClientPool, poll_id: int, clients: int, spread: float, timeout: float) -> list:
    """Every tablet casts once, evenly within `spread` s; per tablet what became of it."""
    pool.ask("burst", (poll_id, time.time() + 0.5, spread, clients))
    return [row for answer in pool.ask("wait_acks", timeout) for row in answer]


def ack_figures(outcomes: list[tuple[Any, ...]], prefix: str = "ack") -> dict[str, Any]:
    latencies = [(acked - due) * 1000 for _, due, acked, *_ in outcomes if acked is not None]
    errors = sorted({str(row[4]) for row in outcomes if row[4]})
    figures: dict[str, Any] = {f"{prefix}ed": len(latencies), f"{prefix}_errors": errors}
    if latencies:
        p50, p99 = np.percentile(latencies, [50, 99])
        figures |= {
            f"{prefix}_p50_ms": round(float(p50), 1),
            f"{prefix}_p99_ms": round(float(p99), 1),
        }
    else:
        figures |= {f"{prefix}_p50_ms": None, f"{prefix}_p99_ms": None}
    return figures


def acked_voters(outcomes: list[tuple[Any, ...]]) -> set[int]:
    return {row[0] for row in outcomes if row[2] is not None}


def progress_figures(pool: ClientPool) -> dict[str, Any]:
    """Progress messages per screen: the shortest interval anywhere, any step back."""
    rows = [row for answer in pool.ask("progress") for row in answer]
    intervals = [row[2] for row in rows if row[2] is not None]
    by_kind = {kind: [row for row in rows if row[0] == kind] for kind in (PROJECTOR, CHAIR)}
    return {
        "progress_screens": sum(1 for row in rows if row[1]),
        "progress_per_screen": round(float(np.mean([row[1] for row in rows])), 1),
        "progress_min_interval_ms": round(min(intervals) * 1000, 1) if intervals else None,
        "progress_monotonic": all(row[3] == 0 for row in rows),
        "progress_last_projector": by_kind[PROJECTOR][0][4] if by_kind[PROJECTOR] else None,
        "progress_last_chair": by_kind[CHAIR][0][4] if by_kind[CHAIR] else None,
    }


def phase_ballots(pool: ClientPool, poll_id: int, args: argparse.Namespace) -> tuple[dict, set]:
    """(b) the burst: acks, then (after the last coalescing interval) the progress seen."""
    outcomes = burst(pool, poll_id, args.clients, args.spread, args.timeout)
    time.sleep(0.6)
    return ack_figures(outcomes) | progress_figures(pool), acked_voters(outcomes)


def phase_result(pool: ClientPool, chair: Chair, poll_id: int, timeout: float) -> dict:
    """(c) close and publish → the result on every tablet and the projector."""
    began = time.time()
    chair.post(f"/api/polls/{poll_id}/close")
    closed_at = time.time()
    chair.post(f"/api/polls/{poll_id}/publish")
    requests_ms = [round((closed_at - began) * 1000, 1), round((time.time() - closed_at) * 1000, 1)]
    screens_ = [TABLET, PROJECTOR]
    published, expected = wait_event(pool, "poll.published", poll_id, screens_, timeout)
    biggest = max(answer["biggest"] for answer in pool.ask("wait_event", ("", 0, [], 0.0)))
    closed, _ = wait_event(pool, "poll.closed", poll_id, screens_, timeout)
    closing = spread_ms(closed, began, "closed")
    return {
        **spread_ms(published, began, "result"),
        "closed_p99_ms": closing["closed_p99_ms"],
        "result_on": f"{published.size}/{expected}",
        "close_publish_request_ms": requests_ms,
        "result_message_kb": round(biggest / 1024, 1),
    }


def phase_kill(
    pool: ClientPool, chair: Chair, victim: Server, hall: _congress_scene.Hall, args: Any
) -> tuple[dict, int, set]:
    """(d) a second poll; server 2 killed halfway through its burst and started again."""
    poll = chair.post(
        f"/api/meetings/{hall.meeting_id}/polls",
        {"title": "Thông qua nghị quyết 2", "quorum_fraction": "1/2"},
    )
    poll_id = int(poll["id"])
    opened = phase_open(pool, chair, poll_id, args.clients, args.timeout)
    pool.ask("burst", (poll_id, time.time() + 0.5, args.spread, args.clients))
    time.sleep(0.5 + args.spread * args.kill_at)
    killed = time.time()
    victim.kill()
    victim.start()
    outcomes = [row for answer in pool.ask("wait_acks", args.timeout) for row in answer]
    drops = [row for answer in pool.ask("resynced", args.timeout) for row in answer]
    restarted = time.time()
    victim.wait_listening()
    chair.post(f"/api/polls/{poll_id}/close")
    chair.post(f"/api/polls/{poll_id}/publish")
    kinds = [TABLET, PROJECTOR, CHAIR]
    closed, expected = wait_event(pool, "poll.closed", poll_id, kinds, args.timeout)
    figures = ack_figures(outcomes, "kill_ack") | resync_figures(outcomes, drops, killed)
    figures |= {
        "open2_p99_ms": opened["open_p99_ms"],
        "restart_listening_s": round(time.time() - restarted, 2),
        "caught_up": f"{closed.size}/{expected}",
    }
    return figures, poll_id, acked_voters(outcomes)


def resync_figures(
    outcomes: list[tuple[Any, ...]], drops: list[tuple[Any, ...]], killed: float
) -> dict[str, Any]:
    """Kill → the last dropped screen caught up and the last of their ballots acknowledged."""
    dropped_voters = {row[0] for row in outcomes if row[5] is not None}
    acks = [row[2] for row in outcomes if row[0] in dropped_voters]
    caught = [row[1] for row in drops]
    opened = sorted(row[2] - killed for row in drops if row[2])
    attempts = sorted(row[3] for row in drops)
    done = all(caught) and all(acks)
    last = max([*(t for t in caught if t), *(t for t in acks if t)], default=killed)
    back = sorted(t - killed for t in caught if t)
    return {
        "reconnected_p50_s": round(back[len(back) // 2], 2) if back else None,
        "reconnected_max_s": round(back[-1], 2) if back else None,
        "dropped_acked_max_s": round(max(acks) - killed, 2) if acks and all(acks) else None,
        "dropped": len(drops),
        "resent": sum(1 for row in outcomes if row[3] > 1),
        "resync_s": round(last - killed, 2) if done else None,
        "resynced": sum(1 for t in caught if t),
        # Where the time goes: the socket open again (backoff, refusals, the handshake) and
        # the attempts it took, against caught up (the backlog and the ping's answer).
        "reopened_p50_s": round(opened[len(opened) // 2], 2) if opened else None,
        "reopened_max_s": round(opened[-1], 2) if opened else None,
        "attempts_p50": attempts[len(attempts) // 2] if attempts else None,
        "attempts_max": attempts[-1] if attempts else None,
    }


# Running it ---------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"clients": args.clients, "load_before": _load()}
    enrolled, scenes = footage(args.faces) if args.kiosks else ({}, None)
    with (
        tempfile.TemporaryDirectory(prefix="hop-congress-") as folder,
        fresh_database("postgresql", Path(folder), args.pg_url) as url,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(folder)
        began = time.monotonic()
        hall = _congress_scene.prepare(url, args.clients, enrolled, args.kiosks)
        result["setup_s"] = round(time.monotonic() - began, 1)
        redis_url = own_redis(workdir, stack) if args.own_redis else args.redis_url
        env = hop_env(
            url,
            workdir / "var",
            HOP_REDIS_URL=redis_url,
            HOP_REDIS_CHANNEL=f"hop:congress:{uuid.uuid4().hex}",
            HOP_BALLOT_RATE="100/10",  # the benchmark measures the burst, not throttling
            HOP_FACE_WORKERS=str(args.face_workers),
        )
        servers = [
            Server(env, free_port(), workdir / f"server{n}.log", backlog=8192) for n in range(2)
        ]
        for server in servers:
            server.start()
        try:
            for server in servers:
                server.wait_ready()
            result |= phases(args, hall, servers, scenes)
        finally:
            for server in servers:
                server.stop()
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                for server in servers:
                    (args.keep / server.log_path.name).write_bytes(server.log_path.read_bytes())
    result["load_after"] = _load()
    result["targets_met"] = targets_met(result)
    return result


def own_redis(workdir: Path, stack: contextlib.ExitStack) -> str:
    """A Redis server of this run's own (no persistence), stopped with it: on the shared one,
    other test suites kill every pub/sub client (tests/web/test_live_redis.py), which makes
    every screen resync and is not what this benchmark measures."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(workdir)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(_stop, process)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return url
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(10)


def phases(
    args: argparse.Namespace, hall: _congress_scene.Hall, servers: list[Server], scenes: Any
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    chair = Chair(servers[0], hall.clerk_token)
    began = time.monotonic()
    pool = start_pool(screens(hall, servers), args.processes, (0.5, args.backoff_max))
    streaming: Kiosks | None = None
    second_poll, acked1, acked2 = -1, set[int](), set[int]()
    try:
        connected = sum(pool.ask("connected", 180.0))
        figures["connect_s"] = round(time.monotonic() - began, 1)
        note(f"{connected} screens connected in {figures['connect_s']} s; (a) opening the poll")
        if connected < args.clients + 2:
            raise RuntimeError(f"only {connected} of {args.clients + 2} screens connected")
        figures |= phase_open(pool, chair, hall.poll_id, args.clients, args.timeout)
        if scenes is not None:
            setup = kiosks.Setup(
                hall.database_url, hall.meeting_id, hall.kiosk_tokens, hall.kiosk_names
            )
            streaming = Kiosks(servers[0], setup, scenes, args.kiosk_fps)
            streaming.start()
        note(f"open p99 {figures['open_p99_ms']} ms; (b) {args.clients} ballots")
        ballots, acked1 = phase_ballots(pool, hall.poll_id, args)
        figures |= ballots
        note(f"ack p99 {figures['ack_p99_ms']} ms; (c) closing")
        figures |= phase_result(pool, chair, hall.poll_id, args.timeout)
        note(f"result p99 {figures['result_p99_ms']} ms; (d) a second poll and a kill")
        killed, second_poll, acked2 = phase_kill(pool, chair, servers[1], hall, args)
        figures |= killed
        note(f"resynced in {figures['resync_s']} s")
    finally:
        figures |= streaming.stop() if streaming is not None else kiosk_figures([])
        pool.close()
        chair.close()
    first = _congress_scene.stored(hall.database_url, hall.poll_id, acked1)
    second = _congress_scene.stored(hall.database_url, second_poll, acked2)
    figures |= {
        "stored": first["stored"],
        "kill_stored": second["stored"],
        "lost": first["lost"] + second["lost"],
        "double": first["double"] + second["double"],
    }
    return figures


def targets_met(result: dict[str, Any]) -> bool:
    within = all(
        result.get(key) is not None and result[key] <= limit for key, limit in TARGETS.items()
    )
    interval = result.get("progress_min_interval_ms")
    return (
        within
        and result.get("lost") == 0
        and result.get("double") == 0
        and bool(result.get("progress_monotonic"))
        and (interval is None or interval >= PROGRESS_MIN_MS)
    )


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# Report -------------------------------------------------------------------------------------

ROWS = [
    (
        "(a) open → poll on tablets p50 / p99 / max, ms",
        ("open_p50_ms", "open_p99_ms", "open_max_ms"),
        "open_p99_ms",
    ),
    ("(b) cast → ack p50 / p99, ms", ("ack_p50_ms", "ack_p99_ms"), "ack_p99_ms"),
    ("(b) acked / stored / lost / double", ("acked", "stored", "lost", "double"), None),
    (
        "(b) progress: shortest interval ms, monotonic",
        ("progress_min_interval_ms", "progress_monotonic"),
        None,
    ),
    (
        "(b) progress messages per screen, screens",
        ("progress_per_screen", "progress_screens"),
        None,
    ),
    (
        "(c) close → result p50 / p99 / max, ms",
        ("result_p50_ms", "result_p99_ms", "result_max_ms"),
        "result_p99_ms",
    ),
    ("(c) close → poll.closed p99, ms", ("closed_p99_ms",), None),
    ("(d) dropped / resynced / resent", ("dropped", "resynced", "resent"), None),
    (
        "(d) kill → caught up p50 / max, last ack, s",
        ("reconnected_p50_s", "reconnected_max_s", "dropped_acked_max_s"),
        None,
    ),
    ("(d) cast → ack p50 / p99 across the kill, ms", ("kill_ack_p50_ms", "kill_ack_p99_ms"), None),
    ("(d) kill → all resynced and acked, s", ("resync_s",), "resync_s"),
    ("(d) caught up (poll closed seen)", ("caught_up",), None),
    ("(e) kiosk frame → decision p50 / p95, ms", ("kiosk_p50_ms", "kiosk_p95_ms"), "kiosk_p95_ms"),
    (
        "(e) kiosk frames, greeted / appearances",
        ("kiosk_frames", "kiosk_greeted", "kiosk_appearances"),
        None,
    ),
]


def print_table(result: dict[str, Any]) -> None:
    print(
        f"Congress: {result['clients']} tablets on 2 processes (PostgreSQL + Redis), load "
        f"{result['load_before']} before, {result['load_after']} after"
    )
    for label, keys, judged in ROWS:
        cells = " / ".join(str(result.get(key)) for key in keys)
        verdict = ""
        if judged is not None:
            value = result.get(judged)
            ok = value is not None and value <= TARGETS[judged]
            verdict = f"target ≤ {TARGETS[judged]:g}: {'pass' if ok else 'FAIL'}"
        print(f"{label:52} {cells:>28}   {verdict}")
    print(f"targets met: {'yes' if result['targets_met'] else 'NO'}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.congress", description=__doc__)
    add = parser.add_argument
    add("--clients", type=int, default=2000, help="delegates' tablets (default 2000)")
    add("--processes", type=int, default=2, help="client processes")
    add("--spread", type=float, default=2.0, help="seconds over which the ballots are cast")
    add("--kill-at", type=float, default=0.5, help="share of the second burst before the kill")
    add("--kiosks", type=int, default=2, help="kiosks streaming frames (0: none)")
    add("--kiosk-fps", type=float, default=10.0, help="the kiosks' camera frame rate")
    add("--face-workers", type=int, default=1, help="face engine processes per server")
    add("--faces", type=Path, default=FACES, help="face fixtures (people/, probes/, video/)")
    add("--timeout", type=float, default=60.0, help="longest wait of a phase, s")
    add("--backoff-max", type=float, default=5.0, help="largest reconnection delay, s")
    add("--pg-url", default=PG_URL, help="a PostgreSQL database to create and drop")
    add("--redis-url", default=REDIS_URL)
    add("--own-redis", action="store_true", help="start a Redis server of this run's own")
    add("--keep", type=Path, help="copy the server logs into this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_nofile()
    result = run(args)
    print_table(result)
    sys.stdout.flush()
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
