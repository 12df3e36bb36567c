"""The hash chain and the order of entry kinds (spec §5, §15.1)."""

import copy
from typing import Any

import pytest

from tests.voting.encrypted.helpers import build_board, rechain
from voting.encrypted.board import append_entry, check_chain, head_digest, poll_hash
from voting.encrypted.errors import ProtocolError

pytestmark = pytest.mark.nodb


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    return build_board([[1, 0, 0], [0, 1, 0], [1, 0, 0]], spoil=1)


def _failed_check(board: dict[str, Any]) -> str:
    try:
        check_chain(board)
    except ProtocolError as exc:
        return exc.check
    return "ok"


def _with(board: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(board, entries=entries)


def test_a_whole_board_and_every_prefix_pass(full: dict[str, Any]) -> None:
    entries = full["entries"]
    assert [e["kind"] for e in entries][:5] == [
        "parameters",
        "trustee",
        "trustee",
        "trustee",
        "shares",
    ]
    assert entries[-1]["body"]["counts"] == [2, 1, 0]
    for end in range(1, len(entries) + 1):
        assert _failed_check(_with(full, entries[:end])) == "ok"
    assert poll_hash(entries).hex() == entries[0]["hash"]
    assert len(head_digest(entries)) == 32


def test_tampering_breaks_the_chain(full: dict[str, Any]) -> None:
    entries = full["entries"]
    changed = copy.deepcopy(entries)
    changed[12]["body"]["tracking_code"] = "00" * 32
    assert _failed_check(_with(full, changed)) == "entry_hash"
    dropped = entries[:12] + entries[13:]
    assert _failed_check(_with(full, dropped)) == "entry_index"
    relinked = copy.deepcopy(entries)
    relinked[3]["prev"] = entries[1]["hash"]
    assert _failed_check(_with(full, relinked)) == "entry_prev"
    extra = copy.deepcopy(entries)
    extra[5]["signature"] = "x"
    assert _failed_check(_with(full, extra)) == "entry_fields"


def test_bodies_and_top_level_are_exact(full: dict[str, Any]) -> None:
    entries = copy.deepcopy(full["entries"])
    entries[4]["body"]["note"] = "smuggled"
    assert _failed_check(_with(full, rechain(entries))) == "entry_body"
    assert _failed_check(dict(full, poll_id=43)) == "board"
    assert _failed_check(dict(full, protocol="hop-eb-v2")) == "board"
    assert _failed_check(dict(full, extra=1)) == "board"
    floats = copy.deepcopy(full["entries"])
    floats[-1]["body"]["outcome"]["needed"] = 1.5
    assert _failed_check(_with(full, floats)) == "canonical_json"


def _order(full: dict[str, Any], kinds_edit: Any) -> str:
    entries = kinds_edit(copy.deepcopy(full["entries"]))
    return _failed_check(_with(full, rechain(entries)))


def test_the_order_of_kinds_is_enforced(full: dict[str, Any]) -> None:
    e = full["entries"]  # 0 parameters, 1-3 trustee, 4-6 shares, 7-9 confirm, 10 ready,
    # 11-13 ballots, 14 spoiled, 15 close, 16-17 partials, 18 result
    cases = {
        "ready before the last confirm": lambda x: x[:9] + [x[10]],
        "ballot before ready": lambda x: x[:10] + [x[11]],
        "shares before every trustee": lambda x: x[:3] + [x[4]],
        "a trustee twice": lambda x: x[:3] + [x[2]],
        "ballot after spoiled": lambda x: x[:11] + [x[14], x[12]],
        "result without partials": lambda x: x[:16] + [x[18]],
        "result after one partial": lambda x: x[:17] + [x[18]],
        "a partial twice": lambda x: x[:17] + [x[16]],
        "anything after result": lambda x: [*x, x[16]],
        "parameters not first": lambda x: x[1:],
    }
    for name, edit in cases.items():
        assert _order(full, edit) == "entry_order", name
    assert len(e) == 19


def test_failed_setup_ends_the_board(full: dict[str, Any]) -> None:
    complaint = {"trustee": 2, "dealer": 1, "reason": "feldman"}
    abandoned = {"reason": "complaint"}

    def board_of(prefix: int, *extra: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        entries = copy.deepcopy(full["entries"][:prefix])
        for kind, body in extra:
            append_entry(entries, kind, body)
        return _with(full, entries)

    assert (
        _failed_check(board_of(7, ("share-complaint", complaint), ("abandoned", abandoned))) == "ok"
    )
    assert _failed_check(board_of(3, ("abandoned", {"reason": "cancelled"}))) == "ok"
    confirms = [(e["kind"], e["body"]) for e in full["entries"][7:10]]
    after_complaint = board_of(7, ("share-complaint", complaint), *confirms)
    assert _failed_check(after_complaint) == "ok"
    assert (
        _failed_check(
            board_of(
                7, ("share-complaint", complaint), *confirms, ("ready", full["entries"][10]["body"])
            )
        )
        == "entry_order"
    )
    assert _failed_check(board_of(4, ("share-complaint", complaint))) == "entry_order"
    assert _failed_check(board_of(3, ("abandoned", abandoned), ("abandoned", abandoned))) == (
        "entry_order"
    )


def test_a_board_with_no_ballots() -> None:
    board = build_board([], spoil=0)
    assert [e["kind"] for e in board["entries"]][-3:] == ["ready", "close", "result"]
    assert _failed_check(board) == "ok"
