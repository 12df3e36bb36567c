"""Group wrappers, decoding rejections, transcripts and canonical JSON (spec §2, §3)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.encrypted.canonical import canon, parse
from voting.encrypted.errors import ProtocolError
from voting.encrypted.group import (
    GENERATOR,
    IDENTITY,
    L,
    add,
    base,
    decode_point,
    decode_scalar,
    mul,
    rand,
    scalar_hex,
    sub,
)
from voting.encrypted.transcript import hash_to_scalar, transcript

pytestmark = pytest.mark.nodb
# A field element ≥ p, a negative field element and a non-square: not canonical encodings.
BAD_POINTS = [
    "ff" * 32,
    "01" + "00" * 31,
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d77",
]


def test_identity_rules_of_mul_and_base() -> None:
    p = base(rand())
    assert base(0) == IDENTITY
    assert mul(0, p) == IDENTITY
    assert mul(rand(), IDENTITY) == IDENTITY
    assert mul(L, p) == IDENTITY
    assert mul(1, p) == p
    assert add(p, IDENTITY) == p
    assert sub(p, p) == IDENTITY
    assert base(2) == add(GENERATOR, GENERATOR)


@settings(max_examples=20, derandomize=True)
@given(st.integers(0, L - 1), st.integers(0, L - 1))
def test_scalar_arithmetic_matches_points(x: int, y: int) -> None:
    assert add(base(x), base(y)) == base((x + y) % L)
    assert mul(y, base(x)) == base(x * y % L)


def test_decode_point_accepts_canonical_and_identity_only_where_allowed() -> None:
    assert decode_point(GENERATOR.hex()) == GENERATOR
    assert decode_point("00" * 32, allow_identity=True) == IDENTITY
    with pytest.raises(ProtocolError):
        decode_point("00" * 32)


@pytest.mark.parametrize(
    "value",
    [*BAD_POINTS, GENERATOR.hex().upper(), GENERATOR.hex()[:-2], GENERATOR.hex() + "00", 5, None],
)
def test_decode_point_rejects(value: object) -> None:
    with pytest.raises(ProtocolError):
        decode_point(value, allow_identity=True)


def test_decode_scalar() -> None:
    assert decode_scalar(scalar_hex(L - 1)) == L - 1
    assert decode_scalar("00" * 32) == 0
    for bad in [L.to_bytes(32, "little").hex(), "ff" * 32, scalar_hex(L - 1).upper(), "00" * 31, 7]:
        with pytest.raises(ProtocolError):
            decode_scalar(bad)


def test_transcript_items_are_typed() -> None:
    assert transcript("t", 1) == b"\0\0\0\x01t" + b"\0\0\0\x08" + (1).to_bytes(8, "big")
    assert transcript("t", b"") == b"\0\0\0\x01t\0\0\0\0"
    with pytest.raises(TypeError):
        transcript("t", True)
    with pytest.raises(ValueError, match="2\\^64"):
        transcript("t", 2**64)
    # Length prefixes keep ("ab", "c") and ("a", "bc") apart.
    assert hash_to_scalar("t", "ab", "c") != hash_to_scalar("t", "a", "bc")


def test_canonical_json() -> None:
    value = {"b": [1, -2, True, None], "a": 'Lấy "x"\n\x01/\u2028\x7f'}
    assert canon(value) == '{"a":"Lấy \\"x\\"\\n\\u0001/\u2028\x7f","b":[1,-2,true,null]}'.encode()
    for bad in [{"A": 1}, {"a": 1.5}, {"a": 2**53}, {"a": "\ud800"}, {"1a": 0}, {"a-b": 0}]:
        with pytest.raises(ProtocolError):
            canon(bad)


@pytest.mark.parametrize(
    "text", ['{"a":1.0}', '{"a":1e3}', '{"a":NaN}', '{"a":1,"a":2}', '{"a":9007199254740992}', "{"]
)
def test_parse_rejects_off_subset_json(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse(text)


def test_parse_round_trip() -> None:
    value = {"kind": "ballot", "n": [0, -1, 9007199254740991], "s": "é"}
    assert parse(canon(value)) == value
