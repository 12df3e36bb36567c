"""Data sealed at rest opens only with the same secret, purpose and binding, and intact bytes."""

import pytest

from core.at_rest import AtRestCipher, SealedDataError
from core.errors import ConflictError

SECRET = "a test secret key that is long enough"
PURPOSE = b"hop/test/v1"


def cipher(secret: str = SECRET, purpose: bytes = PURPOSE) -> AtRestCipher:
    return AtRestCipher.from_secret(secret, purpose=purpose)


def test_round_trip() -> None:
    blob = cipher().seal(b"plain bytes", bound_to=b"person:1")
    assert cipher().open(blob, bound_to=b"person:1") == b"plain bytes"


def test_blob_is_versioned_random_and_hides_the_plain_text() -> None:
    first = cipher().seal(b"plain bytes", bound_to=b"person:1")
    second = cipher().seal(b"plain bytes", bound_to=b"person:1")
    assert first[:1] == b"\x01"
    assert first != second
    assert b"plain bytes" not in first


@pytest.mark.parametrize(
    ("opener", "binding"),
    [
        (cipher(), b"person:2"),
        (cipher(purpose=b"hop/other/v1"), b"person:1"),
        (cipher(secret="another secret key entirely"), b"person:1"),
    ],
    ids=["other binding", "other purpose", "other secret"],
)
def test_does_not_open_with_another_binding_purpose_or_secret(
    opener: AtRestCipher, binding: bytes
) -> None:
    blob = cipher().seal(b"plain bytes", bound_to=b"person:1")
    with pytest.raises(SealedDataError):
        opener.open(blob, bound_to=binding)


def test_changed_byte_does_not_open() -> None:
    blob = bytearray(cipher().seal(b"plain bytes", bound_to=b"person:1"))
    blob[-1] ^= 1
    with pytest.raises(SealedDataError):
        cipher().open(bytes(blob), bound_to=b"person:1")


@pytest.mark.parametrize("blob", [b"", b"\x01short", b"\x02" + bytes(40)])
def test_unknown_format_is_refused(blob: bytes) -> None:
    with pytest.raises(SealedDataError):
        cipher().open(blob, bound_to=b"person:1")


def test_sealed_data_error_is_a_conflict() -> None:
    assert issubclass(SealedDataError, ConflictError)


def test_needs_a_secret_and_a_purpose() -> None:
    with pytest.raises(ValueError, match="secret"):
        AtRestCipher.from_secret("", purpose=PURPOSE)
    with pytest.raises(ValueError, match="purpose"):
        AtRestCipher.from_secret(SECRET, purpose=b"")
