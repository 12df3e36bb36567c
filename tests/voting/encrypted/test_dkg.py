"""Joint-Feldman key generation: entry bodies, share encryption, complaints (spec §7)."""

import copy
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.voting.encrypted.helpers import POLL_HASH, run_dkg
from voting.encrypted import dkg
from voting.encrypted.errors import ProtocolError
from voting.encrypted.group import IDENTITY, L, base, mul, rand
from voting.encrypted.proofs import fresh

pytestmark = pytest.mark.nodb
OTHER_POLL = bytes(31) + b"\x02"


@settings(max_examples=6, deadline=None, derandomize=True)
@given(st.integers(3, 5).flatmap(lambda n: st.tuples(st.just(n), st.integers(2, n))))
def test_dkg_gives_consistent_keys(nt: tuple[int, int]) -> None:
    n, t = nt
    committee = run_dkg(n, t)
    secret = sum(d.coefficients[0] for d in committee.dealers) % L
    assert committee.key == base(secret)
    for j in range(1, n + 1):
        x = committee.shares[j]
        assert base(x) == committee.vks[j - 1]
        body = dkg.confirm_body(POLL_HASH, j, x, committee.trustees)
        assert dkg.verify_confirm_body(body, POLL_HASH, committee.trustees) == j


@pytest.fixture(scope="module")
def dealers() -> list[dkg.DealerSecrets]:
    return [dkg.new_dealer(i, 2) for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def bodies(dealers: list[dkg.DealerSecrets]) -> list[dict[str, Any]]:
    return [dkg.trustee_body(POLL_HASH, d) for d in dealers]


def _keys(bodies: list[dict[str, Any]]) -> list[dkg.TrusteeKeys]:
    return [dkg.verify_trustee_body(b, POLL_HASH, 3, 2) for b in bodies]


def test_trustee_body_rejections(bodies: list[dict[str, Any]]) -> None:
    body = bodies[0]
    cases = [copy.deepcopy(body) for _ in range(7)]
    cases[0]["commitments"].append(cases[0]["commitments"][0])
    cases[1]["transport_key"] = IDENTITY.hex()
    cases[2]["commitments"][1] = IDENTITY.hex()
    cases[3]["transport_proof"] = bodies[1]["transport_proof"]
    cases[4]["trustee"] = 2
    cases[5]["extra"] = 0
    cases[6]["coefficient_proof"], cases[6]["transport_proof"] = (
        body["transport_proof"],
        body["coefficient_proof"],
    )
    for bad in cases:
        with pytest.raises(ProtocolError):
            dkg.verify_trustee_body(bad, POLL_HASH, 3, 2)
    with pytest.raises(ProtocolError):
        dkg.verify_trustee_body(body, OTHER_POLL, 3, 2)


def _shares(dealers: list[dkg.DealerSecrets], bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    transports = {k.index: k.transport_key for k in _keys(bodies)}
    return [dkg.shares_body(POLL_HASH, d, transports) for d in dealers]


def test_shares_structure(dealers: list[dkg.DealerSecrets], bodies: list[dict[str, Any]]) -> None:
    good = _shares(dealers, bodies)[0]
    assert sorted(dkg.check_shares_body(good, 3)) == [2, 3]
    cases = [copy.deepcopy(good) for _ in range(6)]
    cases[0]["shares"].reverse()
    cases[1]["shares"].pop()
    cases[2]["shares"][0]["recipient"] = 1
    cases[3]["shares"][0]["ciphertext"] = cases[3]["shares"][0]["ciphertext"][:-2]
    cases[4]["shares"][1]["ciphertext"] = cases[4]["shares"][1]["ciphertext"].upper()
    cases[5]["shares"][1]["ephemeral"] = IDENTITY.hex()
    for bad in cases:
        with pytest.raises(ProtocolError):
            dkg.check_shares_body(bad, 3)


def _open(
    dealers: list[dkg.DealerSecrets],
    keys: list[dkg.TrusteeKeys],
    item: dict[str, Any],
    dealer: int = 1,
    recipient: int = 2,
) -> str:
    """Trustee `recipient` opens an item from `dealer`: the complaint reason, or "ok"."""
    try:
        dkg.decrypt_share(
            POLL_HASH,
            dealer,
            recipient,
            dealers[recipient - 1].transport_secret,
            bytes.fromhex(item["ephemeral"]),
            bytes.fromhex(item["ciphertext"]),
            keys[dealer - 1].commitments,
        )
    except ProtocolError as exc:
        return exc.check
    return "ok"


def test_share_complaints(dealers: list[dkg.DealerSecrets], bodies: list[dict[str, Any]]) -> None:
    keys = _keys(bodies)
    e2 = keys[1].transport_key
    honest = dkg.encrypt_share(POLL_HASH, 1, 2, dkg.share_value(dealers[0].coefficients, 2), e2)
    assert _open(dealers, keys, honest) == "ok"
    tampered = dict(
        honest,
        ciphertext=("00" if honest["ciphertext"][:2] != "00" else "01") + honest["ciphertext"][2:],
    )
    assert _open(dealers, keys, tampered) == "decrypt"
    wrong_value = dkg.encrypt_share(POLL_HASH, 1, 2, rand(), e2)
    assert _open(dealers, keys, wrong_value) == "feldman"
    # The share of dealer 1 to trustee 3, handed to trustee 2, does not even decrypt.
    assert _open(dealers, keys, honest, recipient=3) == "decrypt"
    assert _open(dealers, keys, _unreduced_share(e2)) == "encoding"


def _unreduced_share(transport: bytes) -> dict[str, Any]:
    """A well-encrypted plaintext that is not a canonical scalar (≥ L)."""
    y = rand()
    ephemeral = base(y)
    key, iv = dkg.share_key_iv(mul(y, transport), POLL_HASH, 1, 2, ephemeral, transport)
    ct = AESGCM(key).encrypt(iv, b"\xff" * 32, dkg.share_aad(POLL_HASH, 1, 2))
    return {"recipient": 2, "ephemeral": ephemeral.hex(), "ciphertext": ct.hex()}


def test_confirm_rejections() -> None:
    committee = run_dkg(3, 2)
    body = dkg.confirm_body(POLL_HASH, 2, committee.shares[2], committee.trustees)
    cases = [copy.deepcopy(body) for _ in range(4)]
    cases[0]["joint_key"] = base(rand()).hex()
    cases[1]["verification_key"] = committee.vks[0].hex()
    cases[2]["trustee"] = 3
    cases[3]["share_proof"] = dkg.confirm_body(
        POLL_HASH, 1, committee.shares[1], committee.trustees
    )["share_proof"]
    for bad in cases:
        with pytest.raises(ProtocolError):
            dkg.verify_confirm_body(bad, POLL_HASH, committee.trustees)
    with pytest.raises(ProtocolError):
        dkg.confirm_body(POLL_HASH, 2, committee.shares[1], committee.trustees, fresh)
