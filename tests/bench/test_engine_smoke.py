"""A tiny run of the face engine benchmark: it names the dlib it ran on and times every part."""

import json
import subprocess
import sys
from pathlib import Path

import dlib
import pytest

# A benchmark of its own databases: the same on either pass of the suite.
pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[2]
FACES = ROOT.parent / "shared" / "faces"


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.skipif(not (FACES / "people").is_dir(), reason="needs ../shared/faces")
def test_a_quick_run_times_encoding_detection_and_parallel_encoding() -> None:
    command = [sys.executable, "-m", "bench.engine", "--rounds", "1", "--frames", "3"]
    command += ["--processes", "2"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=230)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    # Which build ran is reported as dlib itself says (the wheel and the fast engine differ).
    assert figures["engine"]["blas"] is bool(dlib.DLIB_USE_BLAS)
    assert figures["encoding"]["n"] == len(list((FACES / "people").glob("*/*")))
    assert figures["detection"]["n"] == 3
    for part in ("encoding", "detection"):
        assert 0 < figures[part]["median_ms"] <= figures[part]["p95_ms"]
    assert figures["parallel"]["faces"] == 2 * figures["encoding"]["n"]
    assert figures["parallel"]["faces_per_s"] > 0
