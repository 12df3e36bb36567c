"""`hop verify-poll BOARD.json`: the spec's vectors, valid boards of every shape, and the
forgeries §15.6 says it must catch (changed, dropped, added ballots, bad proofs and partials,
changed counts, broken or reordered chains), each named by entry index."""

import base64
import copy
import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli.eb_verify import ballots, dkg, group, signature, tally
from cli.eb_verify.board import verify_board
from cli.eb_verify.canon import canon, load
from cli.eb_verify.errors import CheckFailed
from cli.eb_verify.parameters import check_parameters
from cli.eb_verify.report import Report
from cli.eb_verify.state import State
from cli.main import app as hop
from records.board_signing import board_signature
from records.result_signing import key_id, public_key_pem, result_key
from tests.cli.eb_boards import (
    Builder,
    fixed,
    parameters,
    rehash,
    seeded,
    valid_board,
    vectors_board,
)
from voting.encrypted.board import head_digest

pytestmark = pytest.mark.nodb
runner = CliRunner()
VECTORS_PATH = Path(__file__).parents[2] / "docs" / "encrypted_ballots_vectors.json"


@cache
def vectors() -> dict[str, Any]:
    return dict(json.loads(VECTORS_PATH.read_text(encoding="utf-8")))


@cache
def _yes_no() -> Builder:
    # yes, no, yes, abstain, yes; one reveal; trustees 3 and 1 decrypt (2 of 3)
    choices = [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]]
    return valid_board(seed=7, choices=choices, spoil=[0, 1, 0], decrypt_by=[3, 1])


def yes_no() -> dict[str, Any]:
    """A fresh copy of the shared valid 2-of-3 yes/no board, safe to tamper with."""
    return _yes_no().board()


def check(board: dict[str, Any]) -> Report:
    return verify_board(load(json.dumps(board).encode()))


def run(tmp_path: Path, board: Any, *args: str) -> Any:
    path = tmp_path / "board.json"
    text = board if isinstance(board, str) else json.dumps(board, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return runner.invoke(hop, ["verify-poll", str(path), *args])


def first(board: dict[str, Any], kind: str) -> int:
    return next(i for i, e in enumerate(board["entries"]) if e["kind"] == kind)


def failure(report: Report) -> tuple[int | None, str, str]:
    assert report.failure is not None, "the board should be invalid"
    return report.failure.index, report.failure.check, report.failure.reason


# The vectors of §17


def test_hash_vectors() -> None:
    case = vectors()["hash_to_scalar"]
    items: list[group.Item] = [bytes.fromhex("00ff"), "héllo", 7]
    assert group.transcript(case["tag"], *items).hex() == case["transcript"]
    assert group.le32(group.hash_to_scalar(case["tag"], *items)).hex() == case["scalar"]
    assert group.h256(case["tag"], *items).hex() == case["sha256"]
    assert group.base(1) == bytes.fromhex(vectors()["generator"])


def test_entry_vectors() -> None:
    entry = vectors()["board_entry"]
    unhashed = entry["entry_without_hash"]
    assert canon(unhashed).hex() == entry["canonical_json_utf8_hex"]
    assert group.h256("hop-eb-v1/entry", canon(unhashed)).hex() == entry["hash"]
    ballot_entry = vectors()["ballot_entry"]
    body = vectors()["ballot"]["ballot"]
    unhashed = {"body": body, "index": 5, "kind": "ballot", "prev": ballot_entry["prev"]}
    assert group.h256("hop-eb-v1/entry", canon(unhashed)).hex() == ballot_entry["hash"]


def vector_state() -> State:
    v = vectors()
    params = check_parameters(v["board_entry"]["entry_without_hash"]["body"])
    state = State(params=params, poll_hash=bytes.fromhex(v["board_entry"]["hash"]))
    for body in v["dkg"]["trustee_entries"]:
        dkg.check_trustee(body, state)
    dkg.check_confirm(v["dkg"]["confirm_2"], state)
    state.joint_key = dkg.joint_key(state)
    state.verification_keys = {j: dkg.verification_key(state, j) for j in (1, 2, 3)}
    return state


def test_dkg_vectors_verify() -> None:
    state = vector_state()
    assert state.joint_key.hex() == vectors()["dkg"]["joint_key"]
    for j, key in state.verification_keys.items():
        assert key.hex() == vectors()["dkg"]["verification_keys"][str(j)]


def test_ballot_and_tally_vectors_verify() -> None:
    state, v = vector_state(), vectors()
    first_cts = ballots.verify_ballot(
        v["ballot"]["ballot"], state.p, state.joint_key, state.poll_hash, "ballots"
    )
    second = v["tally"]["second_ballot"]["ciphertexts"]
    second_cts = [(bytes.fromhex(c["a"]), bytes.fromhex(c["b"])) for c in second]
    state.ballots = [first_cts, second_cts]
    state.sums = [
        (group.add(x[0], y[0]), group.add(x[1], y[1]))
        for x, y in zip(first_cts, second_cts, strict=True)
    ]
    assert [{"a": a.hex(), "b": b.hex()} for a, b in state.sums] == v["tally"]["sums"]
    close_hash = bytes.fromhex(v["tally"]["close_hash"])
    for j in ("1", "3"):
        tally.check_partial(v["tally"]["partials"][j], state, close_hash)
    assert tally.combine(state, [1, 3]) == v["tally"]["counts"]
    for j, value in v["tally"]["lagrange"].items():
        assert group.le32(group.lagrange(int(j), [1, 3])).hex() == value


def test_a_wrong_vector_partial_is_refused() -> None:
    state, v = vector_state(), vectors()
    partial = copy.deepcopy(v["tally"]["partials"]["1"])
    sums = v["tally"]["sums"]
    state.sums = [(bytes.fromhex(s["a"]), bytes.fromhex(s["b"])) for s in sums]
    partial["decryptions"][1]["d"] = v["tally"]["partials"]["3"]["decryptions"][1]["d"]
    with pytest.raises(CheckFailed, match="slot 1 does not verify"):
        tally.check_partial(partial, state, bytes.fromhex(v["tally"]["close_hash"]))


def test_the_builder_reproduces_the_vectors() -> None:
    """The test boards follow the spec: with the vectors' fixed values they give the vectors."""
    v = vectors()
    builder = Builder(v["board_entry"]["entry_without_hash"]["body"], fixed)
    builder.setup()
    assert builder.entries[0]["hash"] == v["board_entry"]["hash"]
    trustees = [e["body"] for e in builder.entries if e["kind"] == "trustee"]
    assert trustees == v["dkg"]["trustee_entries"]
    assert builder.share_item(1, 2) == v["dkg"]["share_1_to_2"]["entry_item"]
    assert builder.confirm_body(2) == v["dkg"]["confirm_2"]
    ballot, _ = builder.encrypt([1, 0, 0])
    assert ballot == v["ballot"]["ballot"]
    second, _ = builder.encrypt([0, 0, 1], prefix="r2")
    assert second["ciphertexts"] == v["tally"]["second_ballot"]["ciphertexts"]
    r0 = fixed("r0")
    m0 = v["encryption_m0"]
    assert (group.base(r0).hex(), group.mul(r0, builder.key).hex()) == (m0["a"], m0["b"])


def test_the_board_made_of_the_vectors_verifies(tmp_path: Path) -> None:
    board = vectors_board(vectors()).board()
    assert board["entries"][0]["hash"] == vectors()["board_entry"]["hash"]
    cast = [e["body"] for e in board["entries"] if e["kind"] == "ballot"]
    assert vectors()["ballot"]["ballot"] in cast
    outcome = run(tmp_path, board)
    assert outcome.exit_code == 0, outcome.output
    assert "Counts:        Yes: 1, No: 0, Abstain: 1" in outcome.output
    assert "Valid: every check passed." in outcome.output


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_flipping_any_bit_of_the_vector_ballot_is_caught(data: st.DataObject) -> None:
    """§17: the verifier rejects the ballot after flipping any bit of any field."""
    state, ballot = vector_state(), copy.deepcopy(vectors()["ballot"]["ballot"])
    fields = _hex_fields(ballot)
    holder, key = data.draw(st.sampled_from(fields))
    raw = bytearray(bytes.fromhex(holder[key]))
    bit = data.draw(st.integers(0, 8 * len(raw) - 1))
    raw[bit // 8] ^= 1 << (bit % 8)
    holder[key] = raw.hex()
    with pytest.raises(CheckFailed):
        ballots.verify_ballot(ballot, state.p, state.joint_key, state.poll_hash, "ballots")


def _hex_fields(value: Any) -> list[tuple[Any, Any]]:
    if isinstance(value, dict):
        items: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    found = [(value, key) for key, item in items if isinstance(item, str)]
    return found + [field for _, item in items for field in _hex_fields(item)]


# Valid boards


@pytest.mark.parametrize(
    ("kind", "n", "t", "choices", "spoil", "decrypt_by", "counts"),
    [
        ("yes_no", 3, 2, [[1, 0, 0], [0, 1, 0], [1, 0, 0]], [0, 0, 1], [2, 3], [2, 1, 0]),
        (
            "single",
            5,
            3,
            [[0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]],
            None,
            [5, 1, 3, 2],
            [1, 1, 0, 1],
        ),
        (
            "multiple",
            3,
            2,
            [[1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]],
            [1, 0, 1, 0],
            [1, 2],
            [1, 1, 1, 1],
        ),
        ("multiple", 5, 3, [[1, 0, 1, 0], [0, 1, 0, 0]], None, [4, 5, 1], [1, 1, 1, 0]),
    ],
)
def test_valid_boards_verify(
    tmp_path: Path,
    kind: str,
    n: int,
    t: int,
    choices: list[list[int]],
    spoil: list[int] | None,
    decrypt_by: list[int],
    counts: list[int],
) -> None:
    board = valid_board(
        seed=n + t, kind=kind, n=n, t=t, choices=choices, spoil=spoil, decrypt_by=decrypt_by
    ).board()
    outcome = run(tmp_path, board, "--json")
    assert outcome.exit_code == 0, outcome.output
    report = json.loads(outcome.output)
    assert report["valid"] is True
    assert report["stage"] == "result posted"
    assert [item["count"] for item in report["counts"]] == counts
    assert {c["check"]: c["status"] for c in report["checks"]}["partials"] == "ok"


def test_the_human_report_names_every_check_group(tmp_path: Path) -> None:
    outcome = run(tmp_path, yes_no())
    assert outcome.exit_code == 0, outcome.output
    for label in ("Hash chain:", "Parameters:", "Trustees:", "Shares:", "Confirmations:"):
        assert label in outcome.output
    for label in ("Joint key:", "Ballots:", "Spoiled:", "Close:", "Partials:", "Result:"):
        assert label in outcome.output
    assert "Counts:        Đồng ý: 3, Không đồng ý: 1, Abstain: 1" in outcome.output
    assert "Signature:     absent" in outcome.output


def test_a_prefix_is_valid_and_says_how_far_it_got() -> None:
    board = yes_no()
    board["entries"] = board["entries"][: first(board, "ready") + 1]
    report = check(board)
    assert report.valid, report.failure
    assert report.stage == "ready: keys set up, voting may be open"


def test_a_poll_with_no_ballot_needs_no_partial() -> None:
    report = check(valid_board(seed=5, choices=[]).board())
    assert report.valid, report.failure
    assert [count for _, count in report.counts] == [0, 0, 0]


def test_a_failed_setup_is_a_valid_board_that_ends_there() -> None:
    builder = Builder(parameters(), seeded(9))
    builder.setup()
    del builder.entries[first({"entries": builder.entries}, "confirm") :]
    builder.append("share-complaint", {"trustee": 2, "dealer": 1, "reason": "feldman"})
    builder.append("abandoned", {"reason": "complaint"})
    report = check(builder.board())
    assert report.valid, report.failure
    assert report.stage == "setup abandoned (complaint)"
    builder.append("ready", {"joint_key": builder.key.hex(), "verification_keys": []})
    assert failure(check(builder.board()))[1] == "order"


# The server's signature of §5.4 (made by the server's code, checked by the verifier's own)

SECRET = "board-signing-test-secret-0123456789"


def signed(board: dict[str, Any], secret: str = SECRET, upto: int | None = None) -> dict[str, Any]:
    """The board with the server's signature of its first `upto` entries (all by default)."""
    prefix = board["entries"][:upto]
    return {**board, "signature": board_signature(prefix, secret)}


def key_file(tmp_path: Path, secret: str = SECRET) -> str:
    path = tmp_path / f"key-{len(list(tmp_path.iterdir()))}.pem"
    path.write_bytes(public_key_pem(secret))
    return str(path)


def test_a_signature_without_a_key_is_reported_as_not_checked(tmp_path: Path) -> None:
    board = {**yes_no(), "signature": {"algorithm": "Ed25519", "key_id": "ab", "value": "cd"}}
    report = check(board)
    assert report.valid
    assert report.signature == "present, not checked (no --key)"
    outcome = run(tmp_path, signed(yes_no()))
    assert outcome.exit_code == 0, outcome.output
    assert "present, not checked (no --key)" in outcome.output
    assert "Signature:     absent" in run(tmp_path, yes_no()).output


def test_the_servers_signature_verifies_with_its_key(tmp_path: Path) -> None:
    board = signed(yes_no())
    own = key_id(result_key(SECRET).public_key())
    assert signature.key_id(signature.load_key(public_key_pem(SECRET))) == own
    outcome = run(tmp_path, board, "--key", key_file(tmp_path))
    assert outcome.exit_code == 0, outcome.output
    count = len(board["entries"])
    assert f"valid (key id {own}, covers {count} entries)" in outcome.output
    assert outcome.output.rstrip().endswith("Valid: every check passed.")
    report = json.loads(run(tmp_path, board, "--key", key_file(tmp_path), "--json").output)
    assert report["valid"] is True
    assert report["signature"]["status"] == "valid"


def test_the_verifier_hashes_the_head_as_the_server_does() -> None:
    entries = yes_no()["entries"]
    poll_hash, head = bytes.fromhex(entries[0]["hash"]), bytes.fromhex(entries[-1]["hash"])
    assert signature.head_digest(poll_hash, len(entries), head) == head_digest(entries)


def test_an_entry_appended_after_signing_is_not_covered(tmp_path: Path) -> None:
    board = signed(yes_no(), upto=-1)
    outcome = run(tmp_path, board, "--key", key_file(tmp_path))
    assert outcome.exit_code == 1, outcome.output
    count = len(board["entries"])
    assert f"the first {count - 1} entries only, the board has {count}" in outcome.output
    assert "INVALID: the server's signature" in outcome.output
    report = json.loads(run(tmp_path, board, "--key", key_file(tmp_path), "--json").output)
    assert (report["valid"], report["failure"]) == (False, None)
    assert report["signature"]["status"] == "invalid"
    assert report["stage"] == "result posted"


def _other_value(board: dict[str, Any]) -> dict[str, Any]:
    raw = bytearray(base64.b64decode(board["signature"]["value"]))
    raw[0] ^= 1
    board["signature"]["value"] = base64.b64encode(bytes(raw)).decode()
    return board


def _other_head(board: dict[str, Any]) -> dict[str, Any]:
    board["signature"]["head"] = board["entries"][-2]["hash"]
    return board


def _other_count(board: dict[str, Any]) -> dict[str, Any]:
    board["signature"]["entries"] += 1
    return board


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_other_value, "the value does not verify"),
        (_other_head, "the value does not verify"),
        (_other_count, "the value does not verify"),
        (lambda b: b["signature"].update(algorithm="RSA") or b, "not Ed25519"),
        (lambda b: b["signature"].pop("head") and b, "malformed"),
        (lambda b: b["signature"].update(value=7) or b, "the value does not verify"),
        (lambda b: b["signature"].update(entries=True) or b, "malformed: entries"),
        (lambda b: b | {"signature": "signed"}, "malformed"),
    ],
)
def test_a_changed_signature_is_invalid(tmp_path: Path, change: Any, expected: str) -> None:
    outcome = run(tmp_path, change(signed(yes_no())), "--key", key_file(tmp_path))
    assert outcome.exit_code == 1, outcome.output
    assert expected in outcome.output
    assert "Signature:     INVALID" in outcome.output


def test_another_key_is_refused(tmp_path: Path) -> None:
    outcome = run(tmp_path, signed(yes_no()), "--key", key_file(tmp_path, "another secret"))
    assert outcome.exit_code == 1, outcome.output
    other = key_id(result_key("another secret").public_key())
    assert f"not the given key's {other}" in outcome.output
    same_id = signed(yes_no(), "another secret")
    same_id["signature"]["key_id"] = key_id(result_key(SECRET).public_key())
    outcome = run(tmp_path, same_id, "--key", key_file(tmp_path))
    assert outcome.exit_code == 1, outcome.output
    assert "the value does not verify" in outcome.output


def test_an_unsigned_board_with_a_key_fails(tmp_path: Path) -> None:
    outcome = run(tmp_path, yes_no(), "--key", key_file(tmp_path))
    assert outcome.exit_code == 1, outcome.output
    assert "Signature:     absent" in outcome.output
    assert "INVALID: the board is not signed" in outcome.output


def test_a_board_that_fails_stays_invalid_with_a_good_signature(tmp_path: Path) -> None:
    board = signed(rehash(_with(yes_no(), "result", lambda body: body.update(counts=[9, 9, 9]))))
    outcome = run(tmp_path, board, "--key", key_file(tmp_path))
    assert outcome.exit_code == 1, outcome.output
    assert "Signature:     valid" in outcome.output


@pytest.mark.parametrize("text", ["not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n"])
def test_an_unreadable_key_exits_2(tmp_path: Path, text: str) -> None:
    path = tmp_path / "key.pem"
    path.write_text(text)
    assert run(tmp_path, yes_no(), "--key", str(path)).exit_code == 2
    assert run(tmp_path, yes_no(), "--key", str(tmp_path / "missing.pem")).exit_code == 2
    rsa = generate_private_key(public_exponent=65537, key_size=1024).public_key()
    path.write_bytes(rsa.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    outcome = run(tmp_path, yes_no(), "--key", str(path))
    assert outcome.exit_code == 2
    assert "not an Ed25519 public key" in outcome.output


# Forgeries §15.6 says the verifier must catch


def _flip_hex(text: str) -> str:
    return ("1" if text[0] == "0" else "0") + text[1:]


def test_a_changed_ballot_breaks_the_chain_or_its_tracking_code() -> None:
    board = yes_no()
    index = first(board, "ballot") + 1
    ciphertext = board["entries"][index]["body"]["ciphertexts"][0]
    ciphertext["b"] = board["entries"][index + 1]["body"]["ciphertexts"][0]["b"]
    assert failure(check(board))[:2] == (index, "chain")
    at, name, reason = failure(check(rehash(board)))
    assert (at, name) == (index, "ballots")
    assert "tracking_code" in reason


def test_a_ciphertext_byte_changed_is_caught() -> None:
    board = rehash(_with(yes_no(), "ballot", lambda body: _set_a(body, "01")))
    at, name, reason = failure(check(board))
    assert (at, name) == (first(board, "ballot"), "ballots")
    assert "ciphertext a" in reason or "tracking_code" in reason


def _set_a(body: dict[str, Any], head: str) -> None:
    body["ciphertexts"][0]["a"] = head + body["ciphertexts"][0]["a"][2:]


def test_a_dropped_ballot_is_caught_by_close() -> None:
    board = yes_no()
    del board["entries"][first(board, "ballot") + 2]
    at, name, reason = failure(check(rehash(board)))
    assert (at, name) == (first(board, "close"), "close")
    assert "ballots is not 4" in reason


def test_a_dropped_ballot_with_a_forged_close_fails_the_partials() -> None:
    board = yes_no()
    dropped = board["entries"].pop(first(board, "ballot"))
    close = board["entries"][first(board, "close")]["body"]
    close["ballots"] -= 1
    close["voters"].pop()
    for o, pair in enumerate(close["sums"]):
        for part in ("a", "b"):
            total = bytes.fromhex(pair[part])
            less = group.sub(total, bytes.fromhex(dropped["body"]["ciphertexts"][o][part]))
            pair[part] = less.hex()
    at, name, _ = failure(check(rehash(board)))
    assert (at, name) == (first(board, "partial"), "partials")


def test_a_duplicated_ballot_is_caught() -> None:
    board = yes_no()
    index = first(board, "ballot")
    board["entries"].insert(index + 1, copy.deepcopy(board["entries"][index]))
    at, name, reason = failure(check(rehash(board)))
    assert (at, name) == (index + 1, "ballots")
    assert "strictly ascending" in reason


def test_an_added_ballot_is_caught_by_close() -> None:
    extra, _ = replace(_yes_no(), draw=seeded(99)).encrypt([0, 1, 0])
    board = yes_no()
    codes = [e["body"]["tracking_code"] for e in board["entries"] if e["kind"] == "ballot"]
    position = first(board, "ballot") + sum(code < extra["tracking_code"] for code in codes)
    board["entries"].insert(position, {"kind": "ballot", "body": extra})
    report = check(rehash(board))
    assert failure(report)[:2] == (first(board, "close"), "close")


def test_an_invalid_proof_is_caught() -> None:
    def swap(body: dict[str, Any]) -> None:
        body["proofs"][1][0], body["proofs"][1][1] = body["proofs"][1][1], body["proofs"][1][0]

    board = rehash(_with(yes_no(), "ballot", swap))
    at, name, reason = failure(check(board))
    assert (at, name) == (first(board, "ballot"), "ballots")
    assert reason == "the 0/1 proof of slot 1 does not verify"


def test_an_invalid_sum_proof_is_caught() -> None:
    def bump(body: dict[str, Any]) -> None:
        z = group.decode_scalar(body["sum_proof"][0]["z"])
        body["sum_proof"][0]["z"] = group.le32(z + 1).hex()

    board = rehash(_with(yes_no(), "ballot", bump))
    assert failure(check(board))[2] == "the weighted-sum proof does not verify"


def test_a_wrong_partial_decryption_is_caught() -> None:
    def wrong(body: dict[str, Any]) -> None:
        d = bytes.fromhex(body["decryptions"][0]["d"])
        body["decryptions"][0]["d"] = group.add(d, group.base(1)).hex()

    board = rehash(_with(yes_no(), "partial", wrong))
    at, name, reason = failure(check(board))
    assert (at, name) == (first(board, "partial"), "partials")
    assert "decryption proof of slot 0 does not verify" in reason


def test_a_changed_count_is_caught() -> None:
    def more_yes(body: dict[str, Any]) -> None:
        body["counts"][0] += 1
        body["counts"][2] -= 1

    board = rehash(_with(yes_no(), "result", more_yes))
    at, name, reason = failure(check(board))
    assert (at, name) == (first(board, "result"), "result")
    assert "counts are not [3, 1, 1]" in reason


def test_a_wrong_decrypted_by_is_caught() -> None:
    board = rehash(_with(yes_no(), "result", lambda body: body.update(decrypted_by=[1, 2])))
    assert "decrypted_by is not [1, 3]" in failure(check(board))[2]


def test_a_broken_link_names_its_entry(tmp_path: Path) -> None:
    board = yes_no()
    index = first(board, "close")
    board["entries"][index]["prev"] = _flip_hex(board["entries"][index]["prev"])
    outcome = run(tmp_path, board)
    assert outcome.exit_code == 1, outcome.output
    assert f"INVALID at entry {index} (close): chain: prev is not" in outcome.output
    assert "Result:        not reached" in outcome.output


def test_a_changed_hash_is_caught() -> None:
    board = yes_no()
    board["entries"][2]["hash"] = _flip_hex(board["entries"][2]["hash"])
    assert failure(check(board))[:2] == (2, "chain")


def test_reordered_ballots_are_caught() -> None:
    board = yes_no()
    index = first(board, "ballot")
    entries = board["entries"]
    entries[index], entries[index + 1] = entries[index + 1], entries[index]
    assert failure(check(board))[:2] == (index, "chain")
    assert failure(check(rehash(board)))[1:] == (
        "ballots",
        "tracking codes are not strictly ascending (order or duplicate)",
    )


def test_a_spoiled_entry_moved_among_the_ballots_is_caught() -> None:
    board = yes_no()
    spoiled = board["entries"].pop(first(board, "spoiled"))
    board["entries"].insert(first(board, "ballot") + 1, spoiled)
    at, name, _ = failure(check(rehash(board)))
    assert (at, name) == (first(board, "ballot") + 2, "order")


def test_a_result_before_enough_partials_is_caught() -> None:
    board = yes_no()
    del board["entries"][first(board, "partial")]
    assert failure(check(rehash(board)))[1] == "order"


@pytest.mark.parametrize(
    ("kind", "change", "expected"),
    [
        (
            "trustee",
            lambda b: b["transport_proof"].update(c=b["coefficient_proof"]["c"]),
            "transport_proof of trustee 1 does not verify",
        ),
        ("trustee", lambda b: b["commitments"].pop(), "commitments has 1 items, expected 2"),
        ("shares", lambda b: b["shares"].reverse(), "recipients are not every other trustee"),
        (
            "shares",
            lambda b: b["shares"][0].update(ciphertext="00" * 47),
            "ciphertext is not 48 bytes",
        ),
        (
            "confirm",
            lambda b: b.update(verification_key=group.base(5).hex()),
            "verification_key is not X_1",
        ),
        ("ready", lambda b: b["verification_keys"].reverse(), "X_1 is not computed"),
        ("spoiled", lambda b: b.update(choice=[1, 0, 0]), "slot 0 is not the encryption"),
        ("close", lambda b: b["voters"].reverse(), "voters are not ascending"),
        ("close", lambda b: b.update(extra=1), "unknown ['extra']"),
        ("parameters", lambda b: b.update(weights=[1, 1, 2]), "weights are not those"),
        ("parameters", lambda b: b.update(weights=[True, 1, 1]), "weights are not those"),
        (
            "ballot",
            lambda b: b.update(tracking_code=b["tracking_code"].upper()),
            "tracking_code is not",
        ),
        ("result", lambda b: b["outcome"].pop("base"), "outcome fields differ"),
    ],
)
def test_each_entry_kind_is_checked(kind: str, change: Any, expected: str) -> None:
    board = rehash(_with(yes_no(), kind, change))
    at, _, reason = failure(check(board))
    assert at == first(board, kind)
    assert expected in reason


def test_a_float_is_not_canonical(tmp_path: Path) -> None:
    board = yes_no()
    index = first(board, "close")
    text = json.dumps(board).replace('"ballots": 5', '"ballots": 5.0')
    outcome = run(tmp_path, text)
    assert outcome.exit_code == 1, outcome.output
    assert f"INVALID at entry {index} (close): chain: not canonical JSON" in outcome.output


def _with(board: dict[str, Any], kind: str, change: Any) -> dict[str, Any]:
    change(board["entries"][first(board, kind)]["body"])
    return board


# Unreadable input (exit 2) and malformed entries (exit 1, never a traceback)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"entries": 3}', ""])
def test_unreadable_input_exits_2(tmp_path: Path, text: str) -> None:
    outcome = run(tmp_path, text)
    assert outcome.exit_code == 2, outcome.output
    assert "hop verify-poll:" in outcome.output


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    outcome = runner.invoke(hop, ["verify-poll", str(tmp_path / "nope.json")])
    assert outcome.exit_code == 2
    assert "cannot read" in outcome.output


def test_bytes_that_are_not_utf8_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "board.json"
    path.write_bytes(b'{"entries": ["\xff"]}')
    outcome = runner.invoke(hop, ["verify-poll", str(path)])
    assert outcome.exit_code == 2
    assert "not UTF-8" in outcome.output


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=70),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_value_anywhere_fails_cleanly(data: st.DataObject) -> None:
    """Wrong types in any field: a named failed check, never an exception."""
    board = _small()
    *path, last = data.draw(st.sampled_from(_leaf_paths(board["entries"])))
    holder = board["entries"]
    for step in path:
        holder = holder[step]
    value = data.draw(JSON_VALUES)
    if json.dumps(holder[last]) == json.dumps(value):
        return
    holder[last] = value
    reports = [check(board)]
    # A forger re-links the chain after a change to a body; the outcome is not checked (§15.6).
    if len(path) >= 2 and path[1] == "body" and "outcome" not in path[2:] + [last]:
        reports.append(check(rehash(board)))
    for report in reports:
        assert report.failure is not None, path + [last]
        assert "unexpected" not in report.failure.reason


@cache
def _small_builder() -> Builder:
    return valid_board(seed=11, choices=[[1, 0, 0]], spoil=[0, 0, 1])


def _small() -> dict[str, Any]:
    return _small_builder().board()


def _leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        items: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    paths = [(*prefix, key) for key, _ in items]
    return paths + [p for key, item in items for p in _leaf_paths(item, (*prefix, key))]


# A voter's tracking code (§10)


def test_a_voters_code_is_found_by_hex_or_displayed_form(tmp_path: Path) -> None:
    board = vectors_board(vectors()).board()
    code = vectors()["ballot"]["ballot"]["tracking_code"]
    shown = "xqce-9qaq fnmw-nkcd"  # vectors' XQCE-9QAQ-FNMW-NKCD as a person may type it
    outcome = run(tmp_path, board, "--code", code, "--code", shown)
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.count("XQCE-9QAQ-FNMW-NKCD is a cast ballot") == 2


def test_a_dropped_voters_code_is_missing(tmp_path: Path) -> None:
    board = yes_no()
    code = board["entries"][first(board, "ballot")]["body"]["tracking_code"]
    spoiled = board["entries"][first(board, "spoiled")]["body"]["ballot"]["tracking_code"]
    outcome = run(tmp_path, board, "--code", spoiled, "--json")
    assert outcome.exit_code == 0, outcome.output
    assert json.loads(outcome.output)["codes"][0]["found"] == "spoiled"
    del board["entries"][first(board, "ballot")]
    outcome = run(tmp_path, rehash(board), "--code", code)
    assert outcome.exit_code == 1
    assert f"{code} is NOT on the board" in outcome.output


def test_the_json_report_names_the_first_failure(tmp_path: Path) -> None:
    board = rehash(_with(yes_no(), "confirm", lambda body: body["share_proof"].update(c="00" * 32)))
    outcome = run(tmp_path, board, "--json")
    assert outcome.exit_code == 1, outcome.output
    report = json.loads(outcome.output)
    assert report["valid"] is False
    assert report["failure"] == {
        "index": first(board, "confirm"),
        "kind": "confirm",
        "check": "confirm",
        "reason": "share_proof of trustee 1 does not verify",
    }
    statuses = {c["check"]: c["status"] for c in report["checks"]}
    assert (statuses["trustees"], statuses["ballots"]) == ("ok", "not reached")


def test_a_cancelled_setup_and_a_partial_without_ballots() -> None:
    builder = Builder(parameters(n=4, t=3), seeded(4))
    builder.setup()
    del builder.entries[first({"entries": builder.entries}, "shares") :]
    builder.append("abandoned", {"reason": "cancelled"})
    assert check(builder.board()).stage == "setup abandoned (cancelled)"
    empty = valid_board(seed=6, choices=[])
    board = empty.board()
    board["entries"].insert(first(board, "result"), {"kind": "partial", "body": {}})
    assert failure(check(rehash(board)))[1:] == (
        "order",
        "partial not allowed here: partials follow a close with ballots",
    )
