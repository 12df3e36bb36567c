"""The encrypted poll's board as served is signed with the result-signing key (spec §5.4), and
`hop verify-poll --key` checks it with the key from /.well-known/hop-result-key.pem."""

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli.main import app as hop
from records.result_signing import key_id, result_key
from tests.api.test_encrypted_polls import board_of, drafted, set_up
from tests.factories import Room
from web.settings import Settings

runner = CliRunner()


def verify(tmp_path: Path, board: dict[str, Any], *args: str) -> Any:
    path = tmp_path / "board.json"
    path.write_text(json.dumps(board, ensure_ascii=False), encoding="utf-8")
    return runner.invoke(hop, ["verify-poll", str(path), *args])


def served_key(client: TestClient, tmp_path: Path) -> str:
    path = tmp_path / "hop-result-key.pem"
    response = client.get("/.well-known/hop-result-key.pem")
    assert response.status_code == 200, response.text
    path.write_bytes(response.content)
    return str(path)


def test_the_served_board_is_signed_and_verifies_with_the_well_known_key(
    client: TestClient, room: Room, settings: Settings, tmp_path: Path
) -> None:
    poll_id = drafted(client, room)
    board = board_of(client, poll_id)
    signature = board["signature"]
    own = key_id(result_key(settings.resolved_secret_key).public_key())
    assert signature["algorithm"] == "Ed25519"
    assert signature["key_id"] == own
    assert (signature["entries"], signature["head"]) == (1, board["entries"][-1]["hash"])
    pem = served_key(client, tmp_path)
    outcome = verify(tmp_path, board, "--key", pem)
    assert outcome.exit_code == 0, outcome.output
    assert f"valid (key id {own}, covers 1 entry)" in outcome.output


def test_an_old_signature_covers_only_its_prefix(
    client: TestClient, room: Room, tmp_path: Path
) -> None:
    poll_id = drafted(client, room)
    early = board_of(client, poll_id)
    set_up(client, room, poll_id)
    board = board_of(client, poll_id)
    assert board["signature"]["entries"] == len(board["entries"]) > 1
    pem = served_key(client, tmp_path)
    assert verify(tmp_path, board, "--key", pem).exit_code == 0
    stale = {**board, "signature": early["signature"]}
    outcome = verify(tmp_path, stale, "--key", pem)
    assert outcome.exit_code == 1, outcome.output
    assert "a good signature of the first 1 entries only" in outcome.output
    no_key = verify(tmp_path, stale)
    assert no_key.exit_code == 0, no_key.output
    assert "present, not checked (no --key)" in no_key.output
