"""The measurements of the fan-out benchmark, in the order they run on one setup."""

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench._clients import ClientPool
from bench._commits import Committer
from bench._servers import Scene, Server, commit_directly, commit_times, current_seq

BLOCK = 10  # broadcasts per CPU measurement


@dataclass(frozen=True)
class Plan:
    """What to run: sizes, rates and durations."""

    clients: int
    processes: int
    broadcasts: int
    baseline_commits: int
    rate: float
    seconds: float
    missed: int
    drain_s: float
    backoff: tuple[float, float]


class Setup:
    """Server processes on one database, a committer on the first, the client processes."""

    def __init__(self, scene: Scene, servers: list[Server], plan: Plan) -> None:
        self.scene = scene
        self.servers = servers
        self.plan = plan
        self.committer = Committer(servers[0].url, scene)
        self.pool: ClientPool | None = None
        self.seq = current_seq(scene)

    def cpu(self) -> float:
        return sum(server.cpu_seconds() for server in self.servers)

    def rss_mb(self) -> float:
        return sum(server.rss_mb() for server in self.servers)

    def commit(self) -> int:
        self.committer.commit()
        self.seq += 1
        return self.seq

    def clients(self) -> ClientPool:
        assert self.pool is not None
        return self.pool

    def urls(self) -> list[str]:
        path = f"/ws/meetings/{self.scene.meeting_id}?token={self.scene.token}"
        ports = [server.port for server in self.servers]
        return [f"ws://127.0.0.1:{ports[n % len(ports)]}{path}" for n in range(self.plan.clients)]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        self.committer.close()


# Without clients -----------------------------------------------------------------------


def commit_baseline(setup: Setup) -> dict[str, float]:
    """Server CPU of one commit with no client connected, and how fast commits can go."""
    setup.commit()  # warm up the code path
    before = setup.cpu()
    for _ in range(setup.plan.baseline_commits):
        setup.commit()
    time.sleep(0.2)  # let the publishing settle (a Redis round trip)
    per_commit = (setup.cpu() - before) / setup.plan.baseline_commits
    drive = setup.committer.drive(setup.plan.rate, setup.plan.seconds)
    setup.seq = current_seq(setup.scene)
    return {"commit_cpu_ms": per_commit * 1000, "rate_no_clients_hz": drive.rate_hz}


# With clients --------------------------------------------------------------------------


def connect_clients(setup: Setup) -> dict[str, float]:
    started = time.monotonic()
    setup.pool = ClientPool(setup.urls(), setup.plan.processes, setup.plan.backoff)
    connected = sum(setup.pool.ask("connected", 120.0))
    if connected < setup.plan.clients:
        raise RuntimeError(f"only {connected} of {setup.plan.clients} clients connected")
    return {"connect_s": time.monotonic() - started}


def idle_cpu(setup: Setup) -> float:
    """Server CPU seconds per second with every client connected and nothing happening
    (their pings, the server's keepalives): subtracted from the broadcast figure."""
    before, started = setup.cpu(), time.monotonic()
    time.sleep(max(0.5, setup.plan.seconds))
    return (setup.cpu() - before) / (time.monotonic() - started)


def broadcast_cost(setup: Setup, commit_cpu_ms: float, idle: float) -> dict[str, Any]:
    """CPU per recipient of one broadcast: the median over blocks of broadcasts, since the
    CPU time of the same work varies with what else the shared machine runs."""
    blocks = max(1, setup.plan.broadcasts // BLOCK)
    costs = sorted(
        broadcast_block(setup, setup.plan.broadcasts // blocks, commit_cpu_ms, idle)
        for _ in range(blocks)
    )
    return {
        "cpu_us_per_recipient": float(np.median(costs)),
        "cpu_us_range": [round(costs[0], 1), round(costs[-1], 1)],
        "idle_cpu_pct": idle * 100,
    }


def broadcast_block(setup: Setup, count: int, commit_cpu_ms: float, idle: float) -> float:
    """Broadcasts one at a time, each waited for at every client: µs of CPU per recipient."""
    clients = setup.plan.clients
    before, started = setup.cpu(), time.monotonic()
    for _ in range(count):
        seq = setup.commit()
        waited = setup.clients().wait_for(seq, 30.0)
        if waited["reached"] < clients:
            raise RuntimeError(f"broadcast {seq} reached {waited['reached']} of {clients}")
    spent = setup.cpu() - before
    spent -= idle * (time.monotonic() - started) + count * commit_cpu_ms / 1000
    return spent / (count * clients) * 1e6


def capacity_hz(figures: dict[str, Any], clients: int) -> float:
    """Broadcasts per second that one busy core could sustain, from the measured costs."""
    per_event_s = figures["commit_cpu_ms"] / 1000 + clients * figures["cpu_us_per_recipient"] / 1e6
    return 1 / per_event_s if per_event_s > 0 else float("inf")


def paced_latency(setup: Setup) -> dict[str, float]:
    """Commit → delivered latency over every client while commits arrive at a steady rate."""
    plan, pool = setup.plan, setup.clients()
    start = setup.seq
    pool.ask("record", start)
    drive = setup.committer.drive(plan.rate, plan.seconds)
    setup.seq = current_seq(setup.scene)
    waited = pool.wait_for(setup.seq, plan.drain_s)
    latencies = latencies_ms(pool.ask("record", None), commit_times(setup.scene, start))
    expected = (setup.seq - start) * plan.clients
    return {
        "rate_hz": drive.rate_hz,
        "failed_commits": drive.failed,
        **percentiles(latencies),
        "delivered": latencies.size / expected if expected else 0.0,
        "reconnects_while_paced": waited["reconnects"],
    }


def latencies_ms(received: list[dict[int, bytes]], committed: dict[int, float]) -> np.ndarray:
    parts = [
        np.frombuffer(times, dtype=np.float64) - committed[seq]
        for answer in received
        for seq, times in answer.items()
        if seq in committed
    ]
    return np.concatenate(parts) * 1000 if parts else np.empty(0)


def percentiles(latencies: np.ndarray) -> dict[str, float]:
    if not latencies.size:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    p50, p99 = np.percentile(latencies, [50, 99])
    return {"p50_ms": float(p50), "p99_ms": float(p99), "max_ms": float(latencies.max())}


def reconnect_storm(setup: Setup) -> dict[str, float]:
    """Kill every server, miss a few events, start again: until every client has them."""
    pool = setup.clients()
    pool.ask("arm", setup.seq + setup.plan.missed)
    killed = time.time()
    for server in setup.servers:
        server.kill()
    setup.seq = commit_directly(setup.scene, setup.plan.missed)
    for server in setup.servers:
        server.start()
    for server in setup.servers:
        server.wait_listening()
    listening = time.time()
    answers = pool.ask("wait", 60.0)
    reached = sum(answer["reached"] for answer in answers)
    last = max(answer["last_reached_at"] for answer in answers)
    return {
        "resync_s": last - killed if reached == setup.plan.clients else float("inf"),
        "restart_s": listening - killed,
        "resynced": reached,
    }


def run_phases(setup: Setup, note: Any) -> dict[str, Any]:
    """Every measurement on a started setup; note(str) reports progress."""
    figures: dict[str, Any] = commit_baseline(setup)
    figures["rss_idle_mb"] = setup.rss_mb()
    note(f"a commit costs {figures['commit_cpu_ms']:.1f} ms of CPU; connecting clients")
    figures |= connect_clients(setup)
    idle = idle_cpu(setup)
    figures["rss_mb"] = setup.rss_mb()
    added_kb = (figures["rss_mb"] - figures["rss_idle_mb"]) * 1024
    figures["rss_kb_per_client"] = added_kb / setup.plan.clients
    note(f"connected in {figures['connect_s']:.1f} s; broadcasting one at a time")
    figures |= broadcast_cost(setup, figures["commit_cpu_ms"], idle)
    figures["capacity_hz"] = capacity_hz(figures, setup.plan.clients)
    note(f"{figures['cpu_us_per_recipient']:.1f} µs per recipient; paced commits")
    figures |= paced_latency(setup)
    note(f"p99 {figures['p99_ms']:.0f} ms at {figures['rate_hz']:.1f}/s; restarting")
    figures |= reconnect_storm(setup)
    note(f"{figures['resynced']} resynced in {figures['resync_s']:.1f} s")
    return figures
