"""`hop verify FILE`: a signed poll result checked with this server's key, a key file or a key
fetched from a server, with or without a receipt; and a PDF's signatures."""

import importlib.util
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app as hop
from models import Poll, PollKind
from records.result_signing import public_key_pem, signed_result
from tests.factories import pdf_bytes

runner = CliRunner()
SECRET = "the-cli-tests-secret-key-long-enough-0123456789"
OTHER_SECRET = "some-other-servers-secret-key-long-enough-987"
RECEIPTS = [
    {"receipt": "7KQ2M-XD4PA", "choice": {"options": ["yes"]}, "answer": "Yes"},
    {"receipt": "AB3CD-EF4GH", "choice": {"options": ["no"]}, "answer": "No"},
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """This server's settings: its secret, a data folder of the test's own, no trusted roots."""
    return {"HOP_SECRET_KEY": SECRET, "HOP_DATA_DIR": str(tmp_path / "var")}


def write_signed(folder: Path, secret: str = SECRET, **changes: Any) -> Path:
    poll = Poll(id=4, meeting_id=2, title="Bầu thư ký", kind=PollKind.yes_no, secret=True, salt="")
    result = {"poll_id": 4, "verdict": "adopted", "ballots": 2, "receipts": RECEIPTS}
    document = signed_result(
        poll=poll,
        result=result,
        signed_at=datetime(2026, 12, 5, 10, 0, tzinfo=UTC),
        secret_key=secret,
        meeting_title="Kỳ họp thứ 5",
    )
    document["result"].update(changes)
    path = folder / "poll-4-result.signed.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_a_signed_result_is_valid_with_this_servers_key(
    tmp_path: Path, env: dict[str, str]
) -> None:
    outcome = runner.invoke(hop, ["verify", str(write_signed(tmp_path))], env=env)
    assert outcome.exit_code == 0, outcome.output
    assert "#4 Bầu thư ký (yes_no, secret)" in outcome.output
    assert "adopted" in outcome.output
    assert "signature valid" in outcome.output


def test_a_changed_result_is_invalid(tmp_path: Path, env: dict[str, str]) -> None:
    changed = write_signed(tmp_path, verdict="rejected")
    outcome = runner.invoke(hop, ["verify", str(changed)], env=env)
    assert outcome.exit_code == 1, outcome.output
    assert "INVALID" in outcome.output


def test_another_servers_result_needs_that_servers_key(tmp_path: Path, env: dict[str, str]) -> None:
    theirs = write_signed(tmp_path, OTHER_SECRET)
    assert runner.invoke(hop, ["verify", str(theirs)], env=env).exit_code == 1
    key = tmp_path / "their-key.pem"
    key.write_bytes(public_key_pem(OTHER_SECRET))
    outcome = runner.invoke(hop, ["verify", str(theirs), "--key", str(key)], env=env)
    assert outcome.exit_code == 0, outcome.output


def test_the_key_is_fetched_from_a_server(tmp_path: Path, env: dict[str, str]) -> None:
    with key_server(public_key_pem(OTHER_SECRET)) as url:
        theirs = write_signed(tmp_path, OTHER_SECRET)
        outcome = runner.invoke(hop, ["verify", str(theirs), "--server", url], env=env)
    assert outcome.exit_code == 0, outcome.output


def test_a_receipt_is_found_with_its_answer(tmp_path: Path, env: dict[str, str]) -> None:
    path = str(write_signed(tmp_path))
    found = runner.invoke(hop, ["verify", path, "--receipt", "ab3cd-ef4gh"], env=env)
    assert found.exit_code == 0, found.output
    assert "is in the signed list, answer: No" in found.output
    missing = runner.invoke(hop, ["verify", path, "--receipt", "QQQQQ-QQQQQ"], env=env)
    assert missing.exit_code == 1, missing.output
    assert "NOT in the signed list" in missing.output


def test_an_unreadable_file_is_exit_2(tmp_path: Path, env: dict[str, str]) -> None:
    garbage = tmp_path / "result.json"
    garbage.write_text("{not json")
    assert runner.invoke(hop, ["verify", str(garbage)], env=env).exit_code == 2
    assert runner.invoke(hop, ["verify", str(tmp_path / "none.json")], env=env).exit_code == 2


needs_pdf_signatures = pytest.mark.skipif(
    importlib.util.find_spec("records.pdf_signatures") is None,
    reason="records.pdf_signatures (PDF signature checks) is not in this checkout yet",
)


@needs_pdf_signatures
def test_an_unsigned_pdf_is_exit_1(tmp_path: Path, env: dict[str, str]) -> None:
    pdf = tmp_path / "minutes.pdf"
    pdf.write_bytes(pdf_bytes())
    outcome = runner.invoke(hop, ["verify", str(pdf)], env=env)
    assert outcome.exit_code == 1, outcome.output
    assert "no signature" in outcome.output


@needs_pdf_signatures
def test_a_signed_pdf_is_valid_only_under_a_trusted_root(
    tmp_path: Path, env: dict[str, str]
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from records.pdf_signatures import sign_pdf
    from records.signer_keys import read_pkcs12
    from tests.records.pki import PASSPHRASE, issue, pkcs12_bytes, root_ca

    signer, _ = read_pkcs12(pkcs12_bytes(issue("Lê Thư Ký")), PASSPHRASE)
    signed = sign_pdf(
        pdf_bytes(),
        signer,
        field_name="Sig1-secretary",
        reason="Minutes",
        signer_name="Lê Thư Ký",
        trust_roots=[root_ca().asn1],
    )
    pdf, root = tmp_path / "minutes.pdf", tmp_path / "root.pem"
    pdf.write_bytes(signed)
    root.write_bytes(root_ca().cert.public_bytes(Encoding.PEM))
    trusted = runner.invoke(hop, ["verify", str(pdf), "--trust", str(root)], env=env)
    assert trusted.exit_code == 0, trusted.output
    line = next(row for row in trusted.output.splitlines() if row.startswith("Sig1-secretary"))
    assert line.split()[1:7] == ["Lê", "Thư", "Ký", "yes", "yes", "no"]
    untrusted = runner.invoke(hop, ["verify", str(pdf)], env=env)
    assert untrusted.exit_code == 1, untrusted.output
    assert "NOT all valid" in untrusted.output


class _KeyHandler(BaseHTTPRequestHandler):
    pem = b""

    def do_GET(self) -> None:
        found = self.path == "/.well-known/hop-result-key.pem"
        self.send_response(200 if found else 404)
        self.send_header("content-type", "text/plain")
        self.end_headers()
        self.wfile.write(self.pem if found else b"")

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def key_server(pem: bytes) -> Iterator[str]:
    """A local HTTP server serving one PEM at the well-known path, for the block's life."""
    server = HTTPServer(("127.0.0.1", 0), type("Handler", (_KeyHandler,), {"pem": pem}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
