"""The browser library of encrypted ballots (web/static/eb/), tested by Node's test runner in
tests/js/: every vector of docs/encrypted_ballots_vectors.json, round trips, refusals."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from web.vendor import EB, EB_BUILD

ROOT = Path(__file__).parent.parent.parent


@pytest.mark.nodb
def test_the_javascript_library_passes_its_node_tests() -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node must be installed in CI (the encrypted-ballot library's tests)")
        pytest.skip("node is not installed")
    if not (ROOT / "node_modules" / "@noble" / "curves").is_dir():
        pytest.fail("node_modules lacks @noble/curves: run make install (npm ci)")
    done = subprocess.run(
        [node, "--test", "tests/js/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_bundle_is_served_from_hops_own_origin(client: TestClient) -> None:
    if not (EB_BUILD / "eb.js").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("build/eb/eb.js is missing: make install bundles it")
        pytest.skip("build/eb/eb.js is not built (make install)")
    response = client.get(f"{EB}/eb.js")
    assert response.status_code == 200
    # A module script must come as JavaScript; and it carries noble inside (no bare imports).
    assert response.headers["content-type"].startswith("text/javascript")
    assert "export {" in response.text
    assert 'from "@noble' not in response.text
