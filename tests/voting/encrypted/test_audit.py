"""Reading a whole board: what a trustee's device checks before decrypting (spec §15)."""

import copy
from typing import Any

import pytest

from tests.voting.encrypted.helpers import build_board, rechain
from voting.encrypted.audit import read_setup, verify_board
from voting.encrypted.ballots import encrypt_ballot
from voting.encrypted.errors import ProtocolError
from voting.encrypted.group import base, rand
from voting.encrypted.shape import derive_shape

pytestmark = pytest.mark.nodb
YES_NO = derive_shape("yes_no", ["yes", "no"], 1, 1)
# 0 parameters, 1-3 trustee, 4-6 shares, 7-9 confirm, 10 ready, 11-13 ballots, 14 spoiled,
# 15 close, 16-17 partials, 18 result
BALLOTS, SPOILED, CLOSE, PARTIAL, RESULT = 11, 14, 15, 16, 18


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    return build_board([[1, 0, 0], [0, 1, 0], [1, 0, 0]], spoil=1)


def _failure(full: dict[str, Any], edit: Any) -> tuple[str, int | None]:
    """A dishonest server's edit, re-hashed so the chain itself still holds."""
    entries = copy.deepcopy(full["entries"])
    edit(entries)
    try:
        verify_board(dict(full, entries=rechain(entries)))
    except ProtocolError as exc:
        return exc.check, exc.entry
    return "ok", None


def test_the_whole_board_verifies(full: dict[str, Any]) -> None:
    summary = verify_board(full)
    assert summary.stage == "result"
    assert summary.counts == [2, 1, 0]
    assert summary.tracking_codes == sorted(summary.tracking_codes)
    setup = read_setup(full)
    assert setup.key.hex() == full["entries"][10]["body"]["joint_key"]
    assert setup.params.shape == YES_NO
    assert verify_board(dict(full, entries=full["entries"][:12])).counts is None


def _replace_ballot(entries: list[dict[str, Any]]) -> None:
    key = bytes.fromhex(entries[10]["body"]["joint_key"])
    ph = bytes.fromhex(entries[0]["hash"])
    ballot = encrypt_ballot(YES_NO, [0, 0, 1], key, ph)["ballot"]
    # Keep the order of tracking codes so that only the sums can tell.
    ballot["tracking_code"] = entries[BALLOTS + 1]["body"]["tracking_code"]
    entries[BALLOTS + 1]["body"] = ballot


def _flip_proof(entries: list[dict[str, Any]]) -> None:
    proof = entries[BALLOTS]["body"]["proofs"][1][0]
    proof["z"] = ("01" if proof["z"][:2] != "01" else "02") + proof["z"][2:]


def _swap_ballots(entries: list[dict[str, Any]]) -> None:
    entries[BALLOTS], entries[BALLOTS + 1] = entries[BALLOTS + 1], entries[BALLOTS]


def _wrong_partial(entries: list[dict[str, Any]]) -> None:
    entries[PARTIAL]["body"]["decryptions"][0]["d"] = base(rand()).hex()


def _cast_a_spoiled(entries: list[dict[str, Any]]) -> None:
    revealed = copy.deepcopy(entries[SPOILED]["body"]["ballot"])
    cast = [e["body"] for e in entries[BALLOTS:SPOILED]] + [revealed]
    cast.sort(key=lambda b: b["tracking_code"])
    entries[BALLOTS:SPOILED] = [{"kind": "ballot", "body": b} for b in cast]


CASES = {
    "dropped ballot": (lambda e: e.pop(BALLOTS), "close"),
    "changed ballot": (_replace_ballot, "tracking_code"),
    "invalid proof": (_flip_proof, "bit_proof"),
    "ballots out of order": (_swap_ballots, "ballot_order"),
    "wrong partial": (_wrong_partial, "decrypt_proof"),
    "wrong counts": (lambda e: e[RESULT]["body"].update(counts=[1, 2, 0]), "result"),
    "wrong decrypted_by": (lambda e: e[RESULT]["body"].update(decrypted_by=[1, 3]), "result"),
    "revealed and cast": (_cast_a_spoiled, "spoiled"),
    "another joint key": (lambda e: e[10]["body"].update(joint_key=base(rand()).hex()), "ready"),
    "extra voter": (lambda e: e[CLOSE]["body"]["voters"].append(999), "close"),
    "bad parameters": (lambda e: e[0]["body"].update(weights=[1, 1, 2]), "parameters"),
    "boolean weight": (lambda e: e[0]["body"].update(weights=[1, True, 1]), "parameters"),
    "boolean count": (lambda e: e[RESULT]["body"].update(counts=[2, True, 0]), "result"),
    "boolean recipient": (lambda e: e[4]["body"]["shares"][0].update(recipient=True), "shares"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_dishonest_board_is_caught(full: dict[str, Any], name: str) -> None:
    edit, check = CASES[name]
    failed, _ = _failure(full, edit)
    assert failed == check


def test_errors_name_the_entry(full: dict[str, Any]) -> None:
    assert _failure(full, _wrong_partial) == ("decrypt_proof", PARTIAL)
    entries = copy.deepcopy(full["entries"])
    entries[13]["body"]["sum_proof"][0]["c"] = "00" * 32
    with pytest.raises(ProtocolError) as info:
        verify_board(dict(full, entries=entries))
    assert (info.value.check, info.value.entry) == ("entry_hash", 13)


def test_read_setup_needs_ready(full: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError, match="no ready"):
        read_setup(dict(full, entries=full["entries"][:9]))
