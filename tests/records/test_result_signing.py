"""Signed poll results: the signature covers every answer and receipt, only the deployment's key
verifies it, and a receipt is found in the signed list."""

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from models import Poll, PollKind
from records.result_signing import (
    NotASignedResultError,
    canonical_json,
    load_signed_result,
    public_key_pem,
    receipt_in,
    result_key,
    signed_result,
    verify_signed_result,
)

SECRET = "a-deployment-secret-that-is-long-enough-0123"
OTHER_SECRET = "another-deployment-secret-long-enough-456789"
RESULT: dict[str, Any] = {
    "poll_id": 7,
    "title": "Bầu thư ký",
    "secret": True,
    "verdict": "adopted",
    "ballots": 2,
    "receipts": [
        {"receipt": "7KQ2M-XD4PA", "choice": {"options": ["yes"]}, "answer": "Yes"},
        {"receipt": "AB3CD-EF4GH", "choice": {"options": ["no"]}, "answer": "No"},
    ],
}


def signed(secret: str = SECRET) -> dict[str, Any]:
    poll = Poll(id=7, meeting_id=3, title="Bầu thư ký", kind=PollKind.yes_no, secret=True, salt="s")
    return signed_result(
        poll=poll,
        result=copy.deepcopy(RESULT),
        signed_at=datetime(2026, 12, 5, 9, 30, tzinfo=UTC),
        secret_key=secret,
        meeting_title="Kỳ họp thứ 5",
    )


def test_a_signed_result_verifies_with_the_public_key_pem() -> None:
    document = signed()
    assert document["format"] == "hop-result/1"
    assert document["poll"] == {
        "id": 7,
        "title": "Bầu thư ký",
        "kind": "yes_no",
        "secret": True,
        "meeting_id": 3,
        "meeting_title": "Kỳ họp thứ 5",
    }
    assert document["signed_at"] == "2026-12-05T09:30:00+00:00"
    assert verify_signed_result(document, public_key_pem(SECRET))
    assert verify_signed_result(document, result_key(SECRET).public_key())


def test_the_key_is_the_same_in_every_process_and_differs_per_secret() -> None:
    assert public_key_pem(SECRET) == public_key_pem(SECRET)
    assert public_key_pem(SECRET) != public_key_pem(OTHER_SECRET)
    assert signed()["key_id"] == signed()["key_id"]
    assert len(signed()["key_id"]) == 16
    assert signed()["key_id"] != signed(OTHER_SECRET)["key_id"]


def test_a_changed_answer_or_receipt_fails() -> None:
    answer = signed()
    answer["result"]["receipts"][1]["answer"] = "Yes"
    assert not verify_signed_result(answer, public_key_pem(SECRET))
    receipt = signed()
    receipt["result"]["receipts"][0]["receipt"] = "ZZZZZ-ZZZZZ"
    assert not verify_signed_result(receipt, public_key_pem(SECRET))
    dropped = signed()
    del dropped["result"]["receipts"][1]
    assert not verify_signed_result(dropped, public_key_pem(SECRET))


def test_a_document_signed_with_another_secret_fails() -> None:
    assert not verify_signed_result(signed(OTHER_SECRET), public_key_pem(SECRET))


def test_a_damaged_signature_fails_without_an_error() -> None:
    document = signed()
    document["signature"] = "not base64!"
    assert not verify_signed_result(document, public_key_pem(SECRET))


def test_canonical_json_does_not_depend_on_key_order() -> None:
    assert canonical_json({"b": 1, "a": {"y": "ý", "x": [2, 1]}}) == canonical_json(
        {"a": {"x": [2, 1], "y": "ý"}, "b": 1}
    )
    assert canonical_json({"b": 1, "a": "ý"}) == '{"a":"ý","b":1}'.encode()


def test_a_document_read_back_with_other_spacing_and_order_still_verifies() -> None:
    document = signed()
    text = json.dumps(dict(reversed(document.items())), indent=2, ensure_ascii=True)
    loaded = load_signed_result(text.encode())
    assert verify_signed_result(loaded, public_key_pem(SECRET))


def test_receipt_in_gives_the_answer_beside_the_receipt() -> None:
    document = signed()
    assert receipt_in(document, "AB3CD-EF4GH") == "No"
    assert receipt_in(document, " 7kq2m xd4pa ") == "Yes"  # typed back by hand
    assert receipt_in(document, "QQQQQ-QQQQQ") is None
    assert receipt_in(document, "") is None


@pytest.mark.parametrize(
    "data",
    [b"not json", b"[1, 2]", b'{"format": "hop-result/1"}', b"\xff\xfe", b'{"format": "x"}'],
)
def test_what_is_not_a_signed_result_is_refused(data: bytes) -> None:
    with pytest.raises(NotASignedResultError):
        load_signed_result(data)
    with pytest.raises(ValueError, match="."):
        load_signed_result(data)
