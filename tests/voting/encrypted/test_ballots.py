"""Ballot shape, encryption, verification and Benaloh reveals (spec §6, §9, §10, §11)."""

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.voting.encrypted.helpers import POLL_HASH, forge_ballot, vectors
from voting.encrypted.ballots import encrypt_ballot, verify_ballot, verify_reveal
from voting.encrypted.elgamal import decode_ciphertext
from voting.encrypted.errors import ProtocolError
from voting.encrypted.group import L, base, rand, scalar_hex
from voting.encrypted.shape import PollShape, choice_vector, derive_shape
from voting.encrypted.tracking import display_code, read_display_code, tracking_code

pytestmark = pytest.mark.nodb
KEY = base(rand())
OTHER_POLL = bytes(31) + b"\x01"
YES_NO = derive_shape("yes_no", ["yes", "no"], 1, 1)
MULTI = derive_shape("multiple", ["a", "b", "c"], 1, 2)


def _check(ballot: object, shape: PollShape = YES_NO, poll_hash: bytes = POLL_HASH) -> str:
    """The name of the failed check, or "ok"."""
    try:
        verify_ballot(ballot, shape, KEY, poll_hash)
    except ProtocolError as exc:
        return exc.check
    return "ok"


@pytest.fixture(scope="module")
def reveal() -> dict[str, Any]:
    return encrypt_ballot(YES_NO, [0, 1, 0], KEY, POLL_HASH)


@pytest.mark.parametrize(
    ("kind", "options", "low", "high", "weights", "allowed"),
    [
        ("yes_no", ["yes", "no"], 1, 1, (1, 1, 1), (1,)),
        ("single", ["x", "y", "z"], 1, 1, (1, 1, 1, 1), (1,)),
        ("multiple", ["a", "b", "c", "d"], 1, 2, (1, 1, 1, 1, 5), (1, 2, 5)),
        ("multiple", ["a", "b", "c"], 0, 3, (1, 1, 1, 4), (0, 1, 2, 3, 4)),
    ],
)
def test_shape_table(
    kind: str,
    options: list[str],
    low: int,
    high: int,
    weights: tuple[int, ...],
    allowed: tuple[int, ...],
) -> None:
    shape = derive_shape(kind, options, low, high)
    assert shape.slots == (*options, "abstain")
    assert (shape.weights, shape.allowed_sums) == (weights, allowed)


@pytest.mark.parametrize(
    ("kind", "options", "low", "high"),
    [
        ("yes_no", ["no", "yes"], 1, 1),
        ("single", ["a"], 0, 1),
        ("multiple", ["a", "b"], 2, 3),
        ("multiple", ["a", "a"], 1, 1),
        ("opinion", ["a"], 1, 1),
        ("single", ["abstain"], 1, 1),
    ],
)
def test_shape_rejects(kind: str, options: list[str], low: int, high: int) -> None:
    with pytest.raises(ProtocolError):
        derive_shape(kind, options, low, high)


def test_choice_vector() -> None:
    assert choice_vector(YES_NO, ["no"], abstain=False) == [0, 1, 0]
    assert choice_vector(YES_NO, [], abstain=True) == [0, 0, 1]
    assert choice_vector(MULTI, ["c", "a"], abstain=False) == [1, 0, 1, 0]
    for options, abstain in [(["a", "b", "c"], False), ([], False), (["a"], True), (["z"], False)]:
        with pytest.raises(ProtocolError):
            choice_vector(MULTI, options, abstain=abstain)


def test_honest_ballot_and_reveal(reveal: dict[str, Any]) -> None:
    verified = verify_ballot(reveal["ballot"], YES_NO, KEY, POLL_HASH)
    assert verified.tracking.hex() == reveal["ballot"]["tracking_code"]
    assert verify_reveal(reveal, YES_NO, KEY, POLL_HASH) == [0, 1, 0]
    assert set(reveal["ballot"]) == {"ciphertexts", "proofs", "sum_proof", "tracking_code"}


def _mutations(ballot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    for name in ("extra", "missing", "short", "long", "three_branches", "sum_branches"):
        cases[name] = copy.deepcopy(ballot)
    cases["extra"]["voter"] = 1
    del cases["missing"]["sum_proof"]
    cases["short"]["ciphertexts"].pop()
    cases["long"]["proofs"].append(cases["long"]["proofs"][0])
    cases["three_branches"]["proofs"][1].append(cases["three_branches"]["proofs"][1][0])
    cases["sum_branches"]["sum_proof"].append(cases["sum_branches"]["sum_proof"][0])
    return cases


def test_malformed_structure_is_rejected(reveal: dict[str, Any]) -> None:
    for name, bad in _mutations(reveal["ballot"]).items():
        assert _check(bad) != "ok", name


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("ciphertexts", 0, "a"), "00" * 32),
        (("ciphertexts", 1, "b"), "ff" * 32),
        (("ciphertexts", 2, "a"), 17),
        (("proofs", 0, 1, "c"), L.to_bytes(32, "little").hex()),
        (("proofs", 2, 0, "z"), "ff" * 32),
        (("sum_proof", 0, "c"), scalar_hex(L - 1).upper()),
        (("tracking_code",), "00" * 32),
    ],
)
def test_non_canonical_values_are_rejected(
    reveal: dict[str, Any], path: tuple[Any, ...], value: object
) -> None:
    bad = copy.deepcopy(reveal["ballot"])
    target = bad
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert _check(bad) != "ok"


def _hex_fields(ballot: dict[str, Any]) -> list[tuple[Any, ...]]:
    paths: list[tuple[Any, ...]] = [("tracking_code",)]
    for o in range(len(ballot["ciphertexts"])):
        paths += [("ciphertexts", o, "a"), ("ciphertexts", o, "b")]
        paths += [("proofs", o, i, f) for i in (0, 1) for f in ("c", "z")]
    paths += [("sum_proof", i, f) for i in range(len(ballot["sum_proof"])) for f in ("c", "z")]
    return paths


def _flip(ballot: dict[str, Any], path: tuple[Any, ...], bit: int) -> dict[str, Any]:
    bad = copy.deepcopy(ballot)
    target = bad
    for key in path[:-1]:
        target = target[key]
    raw = bytearray(bytes.fromhex(target[path[-1]]))
    raw[bit // 8] ^= 1 << (bit % 8)
    target[path[-1]] = raw.hex()
    return bad


@pytest.mark.parametrize("bit", [0, 1, 77, 130, 251, 255])
def test_a_flipped_bit_in_any_field_is_rejected(reveal: dict[str, Any], bit: int) -> None:
    for path in _hex_fields(reveal["ballot"]):
        assert _check(_flip(reveal["ballot"], path, bit)) != "ok", (path, bit)


def test_proofs_are_bound_to_their_slot(reveal: dict[str, Any]) -> None:
    bad = copy.deepcopy(reveal["ballot"])
    bad["proofs"][0], bad["proofs"][1] = bad["proofs"][1], bad["proofs"][0]
    assert _check(bad) == "bit_proof"


def test_proofs_are_bound_to_their_poll(reveal: dict[str, Any]) -> None:
    moved = copy.deepcopy(reveal["ballot"])
    cts = [decode_ciphertext(c, allow_identity=False, check="x") for c in moved["ciphertexts"]]
    assert _check(moved, poll_hash=OTHER_POLL) == "tracking_code"
    moved["tracking_code"] = tracking_code(OTHER_POLL, cts).hex()
    assert _check(moved, poll_hash=OTHER_POLL) == "bit_proof"


def test_proofs_are_bound_to_their_ballot(reveal: dict[str, Any]) -> None:
    """A slot copied from someone else's ballot, with its proof, changes the tracking code."""
    other = encrypt_ballot(YES_NO, [0, 1, 0], KEY, POLL_HASH)["ballot"]
    mixed = copy.deepcopy(reveal["ballot"])
    mixed["ciphertexts"][2], mixed["proofs"][2] = other["ciphertexts"][2], other["proofs"][2]
    cts = [decode_ciphertext(c, allow_identity=False, check="x") for c in mixed["ciphertexts"]]
    mixed["tracking_code"] = tracking_code(POLL_HASH, cts).hex()
    assert _check(mixed) == "bit_proof"


@pytest.mark.parametrize(
    ("shape", "m", "check"),
    [
        (YES_NO, [0, 1, 0], "ok"),
        (MULTI, [1, 0, 1, 0], "ok"),
        (MULTI, [0, 0, 0, 1], "ok"),
        (YES_NO, [2, 0, 0], "bit_proof"),
        (YES_NO, [2, 0, -1], "bit_proof"),
        (YES_NO, [1, 1, 0], "sum_proof"),
        (YES_NO, [0, 0, 0], "sum_proof"),
        (MULTI, [1, 1, 1, 0], "sum_proof"),
        (MULTI, [0, 0, 0, 0], "sum_proof"),
        (MULTI, [1, 0, 0, 1], "sum_proof"),
    ],
)
def test_cheating_tablets_are_caught(shape: PollShape, m: list[int], check: str) -> None:
    assert _check(forge_ballot(shape, m, KEY, POLL_HASH), shape) == check


def test_reveal_rejects_a_wrong_choice_or_randomness(reveal: dict[str, Any]) -> None:
    cases = [copy.deepcopy(reveal) for _ in range(5)]
    cases[0]["choice"] = [1, 0, 0]
    cases[1]["randomness"][0] = scalar_hex(rand())
    cases[2]["randomness"][1] = "00" * 32
    cases[3]["choice"] = [0, 1, True]
    cases[4]["extra"] = 1
    for bad in cases:
        with pytest.raises(ProtocolError):
            verify_reveal(bad, YES_NO, KEY, POLL_HASH)


def test_tracking_display_and_reading() -> None:
    code = bytes.fromhex("edd8e4dd577d69cacd8d1fe0d293260b454aa139311d666045cd256ea410ea12")
    assert display_code(code) == "XQCE-9QAQ-FNMW-NKCD"
    assert read_display_code("xqce 9qaq fnmw nkcd") == "XQCE-9QAQ-FNMW-NKCD"
    assert read_display_code("OIL0-0000-0000-0000") == "0110-0000-0000-0000"
    assert read_display_code("XQCE-9QAQ-FNMW-NKC") is None
    assert read_display_code("XQCE-9QAQ-FNMW-NKCU") is None


@st.composite
def answers(draw: st.DrawFn) -> tuple[PollShape, list[int]]:
    kind = draw(st.sampled_from(["yes_no", "single", "multiple"]))
    p = 2 if kind == "yes_no" else draw(st.integers(1, 5))
    ids = ["yes", "no"] if kind == "yes_no" else [f"o{i}" for i in range(p)]
    low = 1 if kind != "multiple" else draw(st.integers(0, p))
    high = 1 if kind != "multiple" else draw(st.integers(low, p))
    shape = derive_shape(kind, ids, low, high)
    if draw(st.booleans()):
        return shape, choice_vector(shape, [], abstain=True)
    chosen = draw(st.lists(st.sampled_from(ids), min_size=low, max_size=high, unique=True))
    return shape, choice_vector(shape, chosen, abstain=False)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(answers())
def test_any_valid_choice_round_trips(case: tuple[PollShape, list[int]]) -> None:
    shape, m = case
    reveal = encrypt_ballot(shape, m, KEY, POLL_HASH)
    assert (
        verify_ballot(reveal["ballot"], shape, KEY, POLL_HASH).tracking.hex()
        == (reveal["ballot"]["tracking_code"])
    )
    assert verify_reveal(reveal, shape, KEY, POLL_HASH) == m


def test_every_bit_of_the_vector_ballots_points_and_code_matters() -> None:
    """Spec §17: flipping any bit of any field is rejected. Exhaustive for the points and the
    tracking code (cheap: they fail before the proofs); scalars are sampled below."""
    vec = vectors()["ballot"]
    key = bytes.fromhex(vec["joint_key"])
    paths = [p for p in _hex_fields(vec["ballot"]) if p[0] in ("ciphertexts", "tracking_code")]
    for path in paths:
        for bit in range(256):
            with pytest.raises(ProtocolError):
                verify_ballot(_flip(vec["ballot"], path, bit), YES_NO, key, POLL_HASH)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.data())
def test_a_flipped_bit_of_a_vector_proof_scalar_is_rejected(data: st.DataObject) -> None:
    vec = vectors()["ballot"]
    paths = [p for p in _hex_fields(vec["ballot"]) if p[0] in ("proofs", "sum_proof")]
    path = data.draw(st.sampled_from(paths))
    bad = _flip(vec["ballot"], path, data.draw(st.integers(0, 255)))
    with pytest.raises(ProtocolError):
        verify_ballot(bad, YES_NO, bytes.fromhex(vec["joint_key"]), POLL_HASH)
