"""The three implementations of hop-eb-v1 agree on whole boards, not only on the vectors: the
server's library (voting.encrypted), the tablet's (web/static/eb/, run by Node) and the
independent verifier (cli.eb_verify, `hop verify-poll`)."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cli.eb_verify.board import verify_board as independent_verify
from tests.cli.eb_boards import valid_board
from tests.voting.encrypted.helpers import build_board, rechain
from voting.encrypted.audit import verify_board as server_verify
from voting.encrypted.ballots import verify_ballot
from voting.encrypted.board import poll_hash
from voting.encrypted.parameters import read_parameters

pytestmark = pytest.mark.nodb
ROOT = Path(__file__).parent.parent.parent.parent
ANSWERS = [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]]  # yes, no, yes, abstain


def test_a_board_of_the_server_library_passes_the_independent_verifier() -> None:
    board = build_board(ANSWERS)
    report = independent_verify(board)
    assert report.valid, report.failure
    assert [count for _, count in report.counts] == [2, 1, 1]
    assert server_verify(board).counts == [2, 1, 1]


def test_the_independent_verifier_catches_a_ballot_changed_by_the_server() -> None:
    board = build_board(ANSWERS)
    ballot = next(entry for entry in board["entries"] if entry["kind"] == "ballot")
    a = ballot["body"]["ciphertexts"][0]["a"]
    other = next(e for e in board["entries"][::-1] if e["kind"] == "ballot")
    ballot["body"]["ciphertexts"][0]["a"] = other["body"]["ciphertexts"][0]["a"]
    assert ballot["body"]["ciphertexts"][0]["a"] != a
    board["entries"] = rechain(board["entries"])  # a dishonest server re-hashes its board
    assert not independent_verify(board).valid


def test_a_board_of_the_verifiers_builder_passes_the_server_library() -> None:
    builder = valid_board(seed=7, choices=[[1, 0, 0], [0, 1, 0], [0, 1, 0]])
    board = {"protocol": "hop-eb-v1", "poll_id": 1, "entries": builder.entries}
    board["poll_id"] = builder.entries[0]["body"]["poll_id"]
    assert server_verify(board).counts == [1, 2, 0]


def test_ballots_encrypted_by_the_tablet_library_verify_on_the_server() -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "@noble" / "curves").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm ci are needed for the tablet library")
        pytest.skip("node or node_modules missing")
    board = build_board(ANSWERS)
    answer = _tablet(node, board, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert answer["check"] == {"stage": "result", "counts": [2, 1, 1]}  # the tablet's check
    setup = read_parameters(board["entries"][0]["body"])
    key = bytes.fromhex(
        next(e for e in board["entries"] if e["kind"] == "ready")["body"]["joint_key"]
    )
    for ballot in answer["ballots"]:
        verify_ballot(ballot, setup.shape, key, poll_hash(board["entries"]))


def _tablet(node: str, board: dict[str, Any], choices: list[list[int]]) -> dict[str, Any]:
    done = subprocess.run(
        [node, "tests/js/interop/tablet.mjs"],
        cwd=ROOT,
        input=json.dumps({"board": board, "choices": choices}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result
