"""Every value of docs/encrypted_ballots_vectors.json, reproduced exactly (spec §17)."""

from typing import Any

import pytest

from tests.voting.encrypted.helpers import POLL_HASH, fixed_nonces, vectors
from voting.encrypted import board, dkg, tally
from voting.encrypted.ballots import encrypt_ballot, verify_ballot, verify_reveal
from voting.encrypted.canonical import canon
from voting.encrypted.elgamal import decode_ciphertext, encrypt_with, weighted_sum
from voting.encrypted.group import GENERATOR, IDENTITY, L, base, decode_scalar, mul, scalar_hex
from voting.encrypted.parameters import read_parameters
from voting.encrypted.shape import derive_shape
from voting.encrypted.tracking import display_code
from voting.encrypted.transcript import (
    TAG_SHARE_KEY,
    TAG_TEST_VECTOR,
    fixed,
    h256,
    hash_to_scalar,
    transcript,
)

pytestmark = pytest.mark.nodb
V = vectors()
DKG = V["dkg"]
YES_NO = derive_shape("yes_no", ["yes", "no"], 1, 1)
KEY = bytes.fromhex(DKG["joint_key"])


def test_group_constants() -> None:
    assert GENERATOR.hex() == V["generator"] == base(1).hex()
    assert int(V["group_order"]) == L
    assert IDENTITY.hex() == V["identity"] == base(0).hex()


def test_hash_to_scalar() -> None:
    vec = V["hash_to_scalar"]
    items = (bytes.fromhex("00ff"), "héllo", 7)
    assert transcript(vec["tag"], *items).hex() == vec["transcript"]
    assert scalar_hex(hash_to_scalar(vec["tag"], *items)) == vec["scalar"]
    assert h256(vec["tag"], *items).hex() == vec["sha256"]
    assert int.from_bytes(bytes.fromhex(vec["sha512"]), "little") % L == int.from_bytes(
        bytes.fromhex(vec["scalar"]), "little"
    )


def test_board_entry() -> None:
    vec = V["board_entry"]
    entry = vec["entry_without_hash"]
    assert canon(entry).hex() == vec["canonical_json_utf8_hex"]
    assert board.entry_hash(0, "parameters", entry["body"], entry["prev"]) == vec["hash"]
    assert vec["hash"] == POLL_HASH.hex()
    assert read_parameters(entry["body"]).shape == YES_NO


def _dealers() -> list[dkg.DealerSecrets]:
    return [dkg.new_dealer(i, DKG["t"], fixed_nonces) for i in range(1, DKG["n"] + 1)]


def _trustees() -> list[dkg.TrusteeKeys]:
    return [dkg.verify_trustee_body(b, POLL_HASH, 3, 2) for b in DKG["trustee_entries"]]


def test_dkg_secrets_and_trustee_entries() -> None:
    dealers = _dealers()
    for d in dealers:
        assert [scalar_hex(a) for a in d.coefficients] == DKG["coefficients"][str(d.index)]
        assert scalar_hex(d.transport_secret) == DKG["transport_secrets"][str(d.index)]
    bodies = [dkg.trustee_body(POLL_HASH, d, fixed_nonces) for d in dealers]
    assert bodies == DKG["trustee_entries"]


def test_share_from_dealer_1_to_2() -> None:
    vec, dealer, e2 = DKG["share_1_to_2"], _dealers()[0], _trustees()[1].transport_key
    s12 = dkg.share_value(dealer.coefficients, 2)
    assert scalar_hex(s12) == vec["s_12"]
    y = fixed("ephemeral", 1, 2)
    shared = mul(y, e2)
    assert shared.hex() == vec["dh_point_S"]
    assert transcript(TAG_SHARE_KEY, 1, 2, base(y), e2).hex() == vec["hkdf_info"]
    key, iv = dkg.share_key_iv(shared, POLL_HASH, 1, 2, base(y), e2)
    assert (key + iv).hex() == vec["hkdf_okm"]
    assert dkg.share_aad(POLL_HASH, 1, 2).hex() == vec["aad"]
    assert dkg.encrypt_share(POLL_HASH, 1, 2, s12, e2, fixed_nonces) == vec["entry_item"]


def test_dkg_shares_keys_and_confirm() -> None:
    dealers, trustees = _dealers(), _trustees()
    transports = {t.index: t.transport_key for t in trustees}
    bodies = [dkg.shares_body(POLL_HASH, d, transports, fixed_nonces) for d in dealers]
    assert bodies[0]["shares"][0] == DKG["share_1_to_2"]["entry_item"]
    for j in (1, 2, 3):
        parts = [dkg.share_value(dealers[j - 1].coefficients, j)]
        for body in bodies:
            if body["dealer"] != j:
                eph, ct = dkg.check_shares_body(body, 3)[j]
                parts.append(
                    dkg.decrypt_share(
                        POLL_HASH,
                        body["dealer"],
                        j,
                        dealers[j - 1].transport_secret,
                        eph,
                        ct,
                        trustees[body["dealer"] - 1].commitments,
                    )
                )
        x = dkg.share_total(parts)
        assert scalar_hex(x) == DKG["shares_x"][str(j)]
        assert dkg.verification_key(trustees, j).hex() == DKG["verification_keys"][str(j)]
    assert dkg.joint_key(trustees).hex() == DKG["joint_key"]
    assert base(decode_scalar(DKG["joint_secret"])).hex() == DKG["joint_key"]
    x2 = decode_scalar(DKG["shares_x"]["2"])
    assert dkg.confirm_body(POLL_HASH, 2, x2, trustees, fixed_nonces) == DKG["confirm_2"]
    assert dkg.verify_confirm_body(DKG["confirm_2"], POLL_HASH, trustees) == 2


def test_ballot() -> None:
    vec = V["ballot"]
    reveal = encrypt_ballot(YES_NO, vec["choice"], KEY, POLL_HASH, fixed_nonces)
    assert reveal["randomness"] == vec["randomness"]
    assert reveal["ballot"] == vec["ballot"]
    assert display_code(bytes.fromhex(vec["ballot"]["tracking_code"])) == vec["tracking_display"]
    verified = verify_ballot(vec["ballot"], YES_NO, KEY, POLL_HASH)
    assert weighted_sum(verified.ciphertexts, [1, 1, 1]).to_json() == vec["weighted_sum"]
    assert verify_reveal(reveal, YES_NO, KEY, POLL_HASH) == [1, 0, 0]


def test_encryption_m0() -> None:
    vec = V["encryption_m0"]
    r = decode_scalar(vec["r"])
    assert r == fixed("r0")
    ct = encrypt_with(0, KEY, r)
    assert ct.to_json() == {"a": vec["a"], "b": vec["b"]}


def _sums() -> list[Any]:
    vec = V["tally"]["second_ballot"]
    first = [
        decode_ciphertext(c, allow_identity=False, check="t")
        for c in V["ballot"]["ballot"]["ciphertexts"]
    ]
    second = [
        encrypt_with(m, KEY, decode_scalar(r))
        for m, r in zip(vec["choice"], vec["randomness"], strict=True)
    ]
    assert [c.to_json() for c in second] == vec["ciphertexts"]
    assert vec["randomness"] == [scalar_hex(fixed("r2", o)) for o in range(3)]
    return tally.slot_sums([first, second], 3)


def test_tally() -> None:
    vec = V["tally"]
    sums = _sums()
    assert [s.to_json() for s in sums] == vec["sums"]
    close_hash = h256(TAG_TEST_VECTOR, "close")
    assert close_hash.hex() == vec["close_hash"]
    vks = [bytes.fromhex(DKG["verification_keys"][str(j)]) for j in (1, 2, 3)]
    partials = {}
    for j in vec["decrypted_by"]:
        x = decode_scalar(DKG["shares_x"][str(j)])
        nonces = lambda *labels, j=j: fixed("decrypt", j, labels[1])  # noqa: E731
        body = tally.partial_body(POLL_HASH, close_hash, j, x, vks[j - 1], sums, nonces)
        assert body == vec["partials"][str(j)]
        partials[j] = tally.verify_partial(body, POLL_HASH, close_hash, vks, sums)[1]
    for j in vec["decrypted_by"]:
        assert scalar_hex(tally.lagrange(j, vec["decrypted_by"])) == vec["lagrange"][str(j)]
    assert tally.combine(sums, partials, 2, 2) == vec["counts"]


def test_ballot_entry() -> None:
    vec = V["ballot_entry"]
    body = V["ballot"]["ballot"]
    assert board.entry_hash(vec["index"], "ballot", body, vec["prev"]) == vec["hash"]
