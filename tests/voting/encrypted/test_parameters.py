"""The `parameters` body: built from a poll, and every field checked on reading (spec §6.1)."""

import copy
from typing import Any

import pytest

from voting.encrypted.errors import ProtocolError
from voting.encrypted.parameters import parameters_body, read_parameters

pytestmark = pytest.mark.nodb
TRUSTEES: list[dict[str, Any]] = [
    {"index": i, "person_id": 10 + i, "name": f"T{i}"} for i in (1, 2, 3)
]


def _body(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "poll_id": 5,
        "meeting_id": 2,
        "attempt": 1,
        "title": "Bầu tổ trưởng",
        "kind": "multiple",
        "options": [{"id": i, "label": i.upper()} for i in ("a", "b", "c", "d")],
        "min_choices": 1,
        "max_choices": 2,
        "majority_rule": None,
        "trustees": TRUSTEES,
        "threshold": 2,
    }
    return parameters_body(**(fields | changes))


def test_built_body_derives_the_shape() -> None:
    body = _body()
    assert (body["slots"], body["weights"], body["allowed_sums"]) == (
        ["a", "b", "c", "d", "abstain"],
        [1, 1, 1, 1, 5],
        [1, 2, 5],
    )
    assert len(body["board_nonce"]) == 32
    assert _body()["board_nonce"] != body["board_nonce"]
    params = read_parameters(body)
    assert (params.poll_id, params.n, params.threshold) == (5, 3, 2)


@pytest.mark.parametrize(
    "changes",
    [
        {"threshold": 1},
        {"threshold": 4},
        {"trustees": TRUSTEES[:2]},
        {"trustees": [*TRUSTEES, *TRUSTEES]},
        {"attempt": 0},
        {"min_choices": 3},
        {"board_nonce": "AB" * 16},
        {"kind": "opinion"},
    ],
)
def test_bad_builds_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        _body(**changes)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("protocol", "hop-eb-v2"),
        ("poll_id", "5"),
        ("poll_id", True),
        ("weights", [1, 1, 1, 1, 1]),
        ("allowed_sums", [1, 2]),
        ("slots", ["a", "b", "c", "d"]),
        ("majority_rule", 3),
        ("title", None),
        ("trustees", [dict(t, index=t["index"] + 1) for t in TRUSTEES]),
        ("options", [{"id": "a"}]),
    ],
)
def test_read_parameters_rejects(field: str, value: object) -> None:
    body = copy.deepcopy(_body())
    body[field] = value
    with pytest.raises(ProtocolError):
        read_parameters(body)
    extra = dict(_body(), note="x")
    with pytest.raises(ProtocolError):
        read_parameters(extra)
