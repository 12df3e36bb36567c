"""Live fan-out benchmark: N meeting websockets (default 2,000) on real server processes.

    .venv/bin/python -m bench.fanout [--clients N]

First on one server process, then on two processes sharing events over Redis (clients split
between them, commits through the first), over loopback with compression off, it measures:
server CPU per recipient of one broadcast, commit → delivered latency while the secretariat
commits at a steady rate, server memory per connection, and the time until every client has
resynced after the servers are killed and started again. It prints a table, then as its last
line one JSON object with the figures. Traffic goes to 127.0.0.1 only.
"""

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._phases import Plan, Setup, run_phases
from bench._servers import Server, free_port, prepare_scene, raise_nofile, server_env

REDIS_URL = "redis://127.0.0.1:6379/0"
TARGETS = {"cpu_us_per_recipient": 40.0, "p99_ms": 750.0, "rss_mb": 400.0, "resync_s": 15.0}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    add = parser.add_argument
    add("--clients", type=int, default=2000, help="websocket clients (default 2000)")
    add("--processes", type=int, default=2, help="client processes")
    add("--broadcasts", type=int, default=50, help="broadcasts for the CPU figure")
    add("--baseline-commits", type=int, default=40, help="commits measured with no client")
    add("--rate", type=float, default=200.0, help="commits per second offered")
    add("--seconds", type=float, default=3.0, help="length of the paced run, s")
    add("--missed", type=int, default=3, help="events committed while the servers are down")
    add("--drain", type=float, default=30.0, help="longest wait for deliveries, s")
    add("--backoff-max", type=float, default=5.0, help="largest reconnection delay, s")
    add("--redis-url", default=REDIS_URL, help="Redis of the two-process run")
    add("--no-redis", action="store_true", help="skip the two-process run")
    add("--keep", type=Path, help="keep the databases and server logs in this folder")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> Plan:
    return Plan(
        clients=args.clients,
        processes=max(1, min(args.processes, args.clients)),
        broadcasts=args.broadcasts,
        baseline_commits=args.baseline_commits,
        rate=args.rate,
        seconds=args.seconds,
        missed=args.missed,
        drain_s=args.drain,
        backoff=(min(0.5, args.backoff_max), args.backoff_max),
    )


def measure(plan: Plan, workdir: Path, *, servers: int, redis_url: str | None) -> dict:
    """Every figure for this many server processes, on a fresh database."""
    workdir.mkdir(parents=True)
    scene = prepare_scene(workdir)
    env = server_env(scene, redis_url)
    procs = [Server(env, free_port(), workdir / f"server{n}.log") for n in range(servers)]
    for server in procs:
        server.start()
    setup = Setup(scene, procs, plan)
    try:
        for server in procs:
            server.wait_ready()
        setup.committer.login()
        figures = run_phases(setup, note)
    finally:
        setup.close()
        for server in procs:
            server.stop()
    return {key: _round(value) for key, value in figures.items()}


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2) if math.isfinite(value) else None
    return value


# Report -------------------------------------------------------------------------------

ROWS = [
    ("cpu_us_per_recipient", "CPU per recipient of a broadcast, µs"),
    ("commit_cpu_ms", "CPU of one commit (no clients), ms"),
    ("idle_cpu_pct", "idle CPU with clients (subtracted), %"),
    ("capacity_hz", "broadcasts/s one core could carry"),
    ("rate_no_clients_hz", "commits/s achieved, no clients"),
    ("rate_hz", "commits/s achieved, clients connected"),
    ("p50_ms", "commit → delivered p50, ms"),
    ("p99_ms", "commit → delivered p99, ms"),
    ("max_ms", "commit → delivered max, ms"),
    ("delivered", "deliveries received (fraction)"),
    ("connect_s", "first connection of all clients, s"),
    ("rss_idle_mb", "server RSS, no clients, MB"),
    ("rss_mb", "server RSS with clients, MB"),
    ("rss_kb_per_client", "RSS per connection, KB"),
    ("restart_s", "kill → listening again, s"),
    ("resync_s", "kill → all clients resynced, s"),
]


def verdict(figures: dict[str, Any], key: str) -> str:
    if key not in TARGETS or not figures:
        return ""
    value = figures.get(key)
    ok = value is not None and value <= TARGETS[key]
    return "pass" if ok else "FAIL"


def print_table(result: dict[str, Any]) -> None:
    redis = result.get("redis") or {}
    print(
        f"Live fan-out: {result['clients']} clients, {result['rate_offered_hz']:g} commits/s "
        f"offered, load average {result['loadavg_before']} before the run"
    )
    print(f"{'':40} {'1 process':>10} {'2 + Redis':>10}   target")
    for key, label in ROWS:
        target = f"≤ {TARGETS[key]:g}  " if key in TARGETS else ""
        judged = " / ".join(filter(None, (verdict(result, key), verdict(redis, key))))
        cells = f"{_cell(result.get(key)):>10} {_cell(redis.get(key)):>10}"
        print(f"{label:40} {cells}   {target}{judged}")


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:g}"


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    plan = plan_from(args)
    raise_nofile()
    result: dict[str, Any] = {
        "clients": plan.clients,
        "rate_offered_hz": plan.rate,
        "loadavg_before": loadavg(),
    }
    with tempfile.TemporaryDirectory(prefix="hop-fanout-") as tmp:
        root = args.keep or Path(tmp)
        result |= measure(plan, root / "one", servers=1, redis_url=None)
        if not args.no_redis:
            result["redis"] = measure(plan, root / "redis", servers=2, redis_url=args.redis_url)
    result["loadavg_after"] = loadavg()
    result["targets"] = TARGETS
    print_table(result)
    sys.stdout.flush()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
