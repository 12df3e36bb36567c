"""Pool workers end with their server: a server killed with SIGKILL leaves no face or proof
worker behind (they held their models, ~200 MB each, and piled up at every restart)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import alive, children_of

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.nodb

# A stand-in for a server: both pools with their workers started, then it waits to be killed.
SERVER = """
import os, sys, time
from checkin.pool import FacePool
from web.proof_pool import ProofPool

faces = FacePool(workers=2, initializer=None)
faces.warm_up()
proofs = ProofPool(workers=1)
proofs._pool().submit(os.getpid).result(timeout=60)
print("ready", flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_a_killed_server_leaves_no_pool_worker_running() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", SERVER],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        workers: set[int] = set()
        try:
            assert server.stdout is not None
            assert server.stderr is not None
            if server.stdout.readline().strip() != "ready":
                pytest.fail(f"the stand-in server did not start:\n{server.stderr.read()}")
            workers |= children_of(server.pid)
            # Two face workers and one proof worker at least (and a resource tracker).
            assert len(workers) >= 3, workers
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and any(alive(pid) for pid in workers):
                time.sleep(0.05)
            left = {pid for pid in workers if alive(pid)}
            assert not left, f"still running after their server was killed: {left}"
        finally:
            if server.poll() is None:
                server.kill()
            for pid in workers | children_of(server.pid):
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
