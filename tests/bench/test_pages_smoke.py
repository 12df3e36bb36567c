"""A tiny run of the staff actions benchmark: every action is timed, with and without screens,
and the screens got the events."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

# A benchmark of its own databases: the same on either pass of the suite.
pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = {
    "draft_poll",
    "open_poll",
    "close_poll",
    "check_in",
    "check_out",
    "publish_document",
    "set_current_item",
}


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_quick_run_times_every_action_with_0_and_5_screens() -> None:
    command = [sys.executable, "-m", "bench.pages", "--quick", "--fetch"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert set(figures) == {"0", "5"}
    for row in figures.values():
        assert set(row) == ACTIONS
        for cells in row.values():
            assert 0 < cells["p50_ms"] <= cells["p95_ms"] <= cells["max_ms"]
    received = lines[-2].rsplit("5: ", 1)[1]
    assert int(received) > 0, lines[-2]
    fetched = lines[-3].rsplit("5: ", 1)[1]  # as live.js, after its random wait
    assert int(fetched) > 0, lines[-3]
