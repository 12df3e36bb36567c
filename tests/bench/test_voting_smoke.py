"""The voting benchmark runs end to end on a few voters and ends with its JSON line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

# A benchmark of its own databases: the same on either pass of the suite.
pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"voters", "acked", "stored", "lost", "double", "p50_ms", "p99_ms"}


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_twenty_voters_on_sqlite_are_all_acknowledged_and_stored_once() -> None:
    command = [sys.executable, "-m", "bench.voting", "--voters", "20", "--databases", "sqlite"]
    command += ["--processes", "1"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=55)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) == {"sqlite"}
    row = figures["sqlite"]
    assert set(row) == KEYS
    assert (row["voters"], row["acked"], row["stored"], row["lost"], row["double"]) == (
        20,
        20,
        20,
        0,
        0,
    )
    assert 0 < row["p50_ms"] <= row["p99_ms"]
