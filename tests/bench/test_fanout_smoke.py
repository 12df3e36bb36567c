"""A tiny run of the fan-out benchmark: it runs to the end and prints its figures as JSON."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

# A benchmark of its own databases: the same on either pass of the suite.
pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"cpu_us_per_recipient", "p50_ms", "p99_ms", "rss_mb", "resync_s", "rate_hz"}
TINY = [
    "--clients", "20", "--processes", "1", "--seconds", "0.5", "--broadcasts", "3",
    "--baseline-commits", "5", "--missed", "1", "--drain", "10", "--backoff-max", "1",
]  # fmt: skip


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=2).ping())
    except Exception:
        return False


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_tiny_run_prints_every_figure_as_its_last_line() -> None:
    with_redis = redis_answers()
    command = [sys.executable, "-m", "bench.fanout", *TINY]
    if not with_redis:
        command.append("--no-redis")
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=170)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    assert "Live fan-out" in lines[0]
    result = json.loads(lines[-1])
    assert result["clients"] == 20
    setups = [result, result["redis"]] if with_redis else [result]
    for figures in setups:
        assert KEYS <= figures.keys()
        assert figures["resynced"] == 20
        assert figures["delivered"] == 1.0
        assert figures["rss_mb"] > 0
