"""A tiny run of the reader benchmark: every part measures something and the notes are carried."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

# A benchmark of its own databases: the same on either pass of the suite.
pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_quick_run_measures_the_first_page_the_search_and_the_notes_carried() -> None:
    command = [sys.executable, "-m", "bench.reader", "--quick"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=230)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for part in ("first_page", "search"):
        assert 0 < figures[f"{part}_p50_ms"] <= figures[f"{part}_max_ms"]
    assert figures["search_queries_with_hits"] > 0
    assert figures["reanchor_notes"] == 60
    # Every quote is found again on its moved text but for the rewritten ones.
    assert figures["reanchor_changed"] == figures["reanchor_edited_quotes"] > 0
