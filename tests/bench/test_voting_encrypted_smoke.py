"""The encrypted run of the voting benchmark, on a few voters: every ballot acknowledged and
stored once, the tally right and the board valid for the independent verifier."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

# A benchmark of its own databases: the same on either pass of the suite.
pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_ten_encrypted_ballots_are_cast_tallied_and_verified() -> None:
    command = [sys.executable, "-m", "bench.voting", "--encrypted", "--no-browser"]
    command += ["--voters", "10", "--databases", "sqlite", "--processes", "1"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=85)
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout.strip().splitlines()[-1])["sqlite"]
    assert (row["voters"], row["acked"], row["stored"], row["lost"], row["double"]) == (
        10,
        10,
        10,
        0,
        0,
    )
    assert row["tally_ok"] is True
    assert row["verified"] is True
    assert 0 < row["tally_verify_s"] < 10
    assert row["tablet_ms"] is None
