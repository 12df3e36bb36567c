"""The congress benchmark runs end to end on twenty tablets (no kiosks, to stay short): two
server processes on PostgreSQL and Redis, one killed mid-burst, and no ballot lost or doubled."""

import json
import os

import pytest

from bench import congress

# A benchmark of its own databases: the same on either pass of the suite.
pytestmark = pytest.mark.nodb

PG_URL = "postgresql://postgres@127.0.0.1:5432/hop_bench_congress_smoke"
REDIS_URL = os.environ.get("HOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
KEYS = {
    "clients",
    "open_p99_ms",
    "ack_p99_ms",
    "result_p99_ms",
    "lost",
    "double",
    "resync_s",
    "kiosk_p95_ms",
    "load_before",
    "load_after",
    "progress_min_interval_ms",
    "progress_monotonic",
    "targets_met",
}


def servers_answer() -> str | None:
    """What does not answer, PostgreSQL or Redis; None when both do."""
    import psycopg
    import redis

    try:
        psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres", connect_timeout=2).close()
    except Exception:
        return "PostgreSQL"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception:
        return "Redis"
    return None


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_twenty_tablets_vote_twice_across_a_killed_process_and_lose_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = servers_answer()
    if missing is not None:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"{missing} must answer in CI")
        pytest.skip(f"{missing} is not answering")
    argv = ["--clients", "20", "--kiosks", "0", "--pg-url", PG_URL, "--redis-url", REDIS_URL]
    assert congress.main([*argv, "--timeout", "30", "--backoff-max", "1"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert KEYS <= set(figures)
    assert figures["clients"] == 20
    assert (figures["lost"], figures["double"]) == (0, 0)
    assert figures["acked"] == figures["stored"] == 20
    assert figures["kill_acked"] == figures["kill_stored"] == 20
    assert figures["caught_up"] == "22/22"  # every tablet, the projector and the chair
    assert figures["progress_monotonic"] is True
    assert 0 < figures["open_p50_ms"] <= figures["open_p99_ms"]
    assert figures["resync_s"] is not None
    assert figures["kiosk_p95_ms"] is None  # no kiosk in this run
