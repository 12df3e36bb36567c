"""Joint-Feldman key generation of the trustees (spec §7): the math and the entry bodies.

Trustees run this in their browsers; the server uses the checks (proofs, structure, keys
computed from the board), and the tests and the test tablet use the dealer side too.
"""

import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from voting.encrypted.canonical import same
from voting.encrypted.errors import ProtocolError
from voting.encrypted.group import (
    IDENTITY,
    L,
    base,
    decode_point,
    decode_scalar,
    le32,
    mul,
    point_sum,
)
from voting.encrypted.proofs import Nonces, decode_proof, fresh, schnorr_prove, schnorr_verify
from voting.encrypted.transcript import (
    TAG_POK_COEFFICIENT,
    TAG_POK_SHARE,
    TAG_POK_TRANSPORT,
    TAG_SHARE_AAD,
    TAG_SHARE_KEY,
    transcript,
)

SHARE_CIPHERTEXT_BYTES = 48
_CIPHERTEXT_HEX = re.compile(f"[0-9a-f]{{{2 * SHARE_CIPHERTEXT_BYTES}}}")
TRUSTEE_FIELDS = {"trustee", "transport_key", "commitments", "transport_proof", "coefficient_proof"}


@dataclass(frozen=True, slots=True)
class DealerSecrets:
    """What trustee i keeps (wrapped) between phase 1 and `confirm`."""

    index: int
    transport_secret: int
    coefficients: list[int]


@dataclass(frozen=True, slots=True)
class TrusteeKeys:
    """The public part of a verified `trustee` entry."""

    index: int
    transport_key: bytes
    commitments: list[bytes]


def _sub_nonces(nonces: Nonces, *prefix: str | int) -> Nonces:
    return lambda *labels: nonces(*prefix, *labels)


def new_dealer(index: int, threshold: int, nonces: Nonces = fresh) -> DealerSecrets:
    """Draw e_i and a_i0..a_i,t-1 (labels "transport", i and "coef", i, k)."""
    e = nonces("transport", index)
    return DealerSecrets(index, e, [nonces("coef", index, k) for k in range(threshold)])


def trustee_body(poll_hash: bytes, dealer: DealerSecrets, nonces: Nonces = fresh) -> dict[str, Any]:
    """The phase-1 `trustee` body: transport key, Feldman commitments, two Schnorr proofs."""
    i, e, a0 = dealer.index, dealer.transport_secret, dealer.coefficients[0]
    transport, commitments = base(e), [base(a) for a in dealer.coefficients]
    tp = schnorr_prove(
        TAG_POK_TRANSPORT, poll_hash, i, e, transport, _sub_nonces(nonces, "pok-transport", i)
    )
    cp = schnorr_prove(
        TAG_POK_COEFFICIENT,
        poll_hash,
        i,
        a0,
        commitments[0],
        _sub_nonces(nonces, "pok-coefficient", i),
    )
    return {
        "trustee": i,
        "transport_key": transport.hex(),
        "commitments": [c.hex() for c in commitments],
        "transport_proof": tp.to_json(),
        "coefficient_proof": cp.to_json(),
    }


def _require(ok: bool, check: str, detail: str) -> None:
    if not ok:
        raise ProtocolError(check, detail)


def _fields(value: object, fields: set[str], check: str) -> dict[str, Any]:
    """value as an object with exactly these fields (bodies never carry unknown ones)."""
    if not isinstance(value, dict) or set(value) != fields:
        raise ProtocolError(check, "not an object with exactly its fields")
    return value


def verify_trustee_body(body: object, poll_hash: bytes, n: int, threshold: int) -> TrusteeKeys:
    """Structure, points (no O), t commitments, and both Schnorr proofs."""
    body = _fields(body, TRUSTEE_FIELDS, "trustee")
    i = body["trustee"]
    _require(type(i) is int and 1 <= i <= n, "trustee", "index out of 1..n")
    transport = decode_point(body["transport_key"], check="trustee")
    raw = body["commitments"]
    _require(isinstance(raw, list) and len(raw) == threshold, "trustee", "need t commitments")
    commitments = [decode_point(c, check="trustee") for c in raw]
    tp = decode_proof(body["transport_proof"], check="trustee")
    cp = decode_proof(body["coefficient_proof"], check="trustee")
    ok_t = schnorr_verify(TAG_POK_TRANSPORT, poll_hash, i, transport, tp)
    _require(ok_t, "transport_proof", "the transport key proof fails")
    ok_c = schnorr_verify(TAG_POK_COEFFICIENT, poll_hash, i, commitments[0], cp)
    _require(ok_c, "coefficient_proof", "the constant-term proof fails")
    return TrusteeKeys(i, transport, commitments)


def share_value(coefficients: list[int], j: int) -> int:
    """s_ij = f_i(j) = Σ_k a_ik j^k mod L."""
    return sum(a * pow(j, k, L) for k, a in enumerate(coefficients)) % L


def commitment_at(commitments: list[bytes], j: int) -> bytes:
    """Σ_k (j^k mod L)·A_ik: the public image of f_i(j)."""
    return point_sum([mul(pow(j, k, L), a) for k, a in enumerate(commitments)])


def feldman_ok(s: int, j: int, commitments: list[bytes]) -> bool:
    return base(s) == commitment_at(commitments, j)


def share_key_iv(
    shared: bytes, poll_hash: bytes, i: int, j: int, ephemeral: bytes, transport: bytes
) -> tuple[bytes, bytes]:
    """HKDF-SHA-256 of the DH point into a 32-byte AES key and a 12-byte IV."""
    info = transcript(TAG_SHARE_KEY, i, j, ephemeral, transport)
    okm = HKDF(algorithm=hashes.SHA256(), length=44, salt=poll_hash, info=info).derive(shared)
    return okm[:32], okm[32:]


def share_aad(poll_hash: bytes, i: int, j: int) -> bytes:
    return transcript(TAG_SHARE_AAD, poll_hash, i, j)


def encrypt_share(
    poll_hash: bytes, i: int, j: int, s: int, transport: bytes, nonces: Nonces = fresh
) -> dict[str, Any]:
    """One item of a `shares` body: s_ij encrypted to E_j (y from label "ephemeral", i, j)."""
    y = nonces("ephemeral", i, j)
    ephemeral, shared = base(y), mul(y, transport)
    if shared == IDENTITY:
        raise ProtocolError("share", "the DH point is the identity")
    key, iv = share_key_iv(shared, poll_hash, i, j, ephemeral, transport)
    ct = AESGCM(key).encrypt(iv, le32(s), share_aad(poll_hash, i, j))
    return {"recipient": j, "ephemeral": ephemeral.hex(), "ciphertext": ct.hex()}


def shares_body(
    poll_hash: bytes, dealer: DealerSecrets, transports: dict[int, bytes], nonces: Nonces = fresh
) -> dict[str, Any]:
    """The phase-2 `shares` body of the dealer: every other trustee once, increasing j."""
    i = dealer.index
    items = [
        encrypt_share(poll_hash, i, j, share_value(dealer.coefficients, j), transports[j], nonces)
        for j in sorted(transports)
        if j != i
    ]
    return {"dealer": i, "shares": items}


def _share_item(item: object, check: str) -> tuple[int, bytes, bytes]:
    fields = {"recipient", "ephemeral", "ciphertext"}
    item = _fields(item, fields, check)
    ephemeral = decode_point(item["ephemeral"], check=check)
    ct = item["ciphertext"]
    ok = isinstance(ct, str) and _CIPHERTEXT_HEX.fullmatch(ct) is not None
    _require(ok, check, "the ciphertext is 48 bytes of lowercase hex")
    return item["recipient"], ephemeral, bytes.fromhex(ct)


def check_shares_body(body: object, n: int) -> dict[int, tuple[bytes, bytes]]:
    """Structure of a `shares` body: recipients {1..n} minus the dealer, in increasing order."""
    body = _fields(body, {"dealer", "shares"}, "shares")
    i, items = body["dealer"], body["shares"]
    _require(type(i) is int and 1 <= i <= n, "shares", "dealer out of 1..n")
    _require(isinstance(items, list), "shares", "shares is a list")
    parsed = [_share_item(item, "shares") for item in items]
    expected = [j for j in range(1, n + 1) if j != i]
    recipients = [j for j, _, _ in parsed]
    _require(same(recipients, expected), "shares", "recipients are every other trustee, in order")
    return {j: (eph, ct) for j, eph, ct in parsed}


def decrypt_share(
    poll_hash: bytes,
    i: int,
    j: int,
    transport_secret: int,
    ephemeral: bytes,
    ct: bytes,
    commitments: list[bytes],
) -> int:
    """Trustee j opens dealer i's share and checks it; the failure reason is the complaint's."""
    transport = base(transport_secret)
    shared = mul(transport_secret, ephemeral)
    key, iv = share_key_iv(shared, poll_hash, i, j, ephemeral, transport)
    try:
        pt = AESGCM(key).decrypt(iv, ct, share_aad(poll_hash, i, j))
    except InvalidTag as exc:
        raise ProtocolError("decrypt", "the share does not decrypt") from exc
    s = decode_scalar(pt.hex(), check="encoding")
    _require(feldman_ok(s, j, commitments), "feldman", "the share fails the Feldman check")
    return s


def joint_key(trustees: list[TrusteeKeys]) -> bytes:
    """K = Σ_i A_i0 (never O on a valid board)."""
    k = point_sum([t.commitments[0] for t in trustees])
    _require(k != IDENTITY, "joint_key", "the joint key is the identity")
    return k


def verification_key(trustees: list[TrusteeKeys], j: int) -> bytes:
    """X_j = Σ_i Σ_k (j^k mod L)·A_ik, computed from the board."""
    return point_sum([commitment_at(t.commitments, j) for t in trustees])


def confirm_body(
    poll_hash: bytes, j: int, share: int, trustees: list[TrusteeKeys], nonces: Nonces = fresh
) -> dict[str, Any]:
    """The `confirm` body of trustee j holding x_j (nonce label "pok-share", j, "w")."""
    vk = verification_key(trustees, j)
    _require(base(share) == vk, "confirm", "the share does not match the board")
    proof = schnorr_prove(
        TAG_POK_SHARE, poll_hash, j, share, vk, _sub_nonces(nonces, "pok-share", j)
    )
    return {
        "trustee": j,
        "joint_key": joint_key(trustees).hex(),
        "verification_key": vk.hex(),
        "share_proof": proof.to_json(),
    }


def verify_confirm_body(body: object, poll_hash: bytes, trustees: list[TrusteeKeys]) -> int:
    """K and X_j as the board says, and the share proof; returns j."""
    fields = {"trustee", "joint_key", "verification_key", "share_proof"}
    body = _fields(body, fields, "confirm")
    j = body["trustee"]
    _require(type(j) is int and 1 <= j <= len(trustees), "confirm", "index out of 1..n")
    _require(body["joint_key"] == joint_key(trustees).hex(), "confirm", "joint key differs")
    vk = verification_key(trustees, j)
    _require(body["verification_key"] == vk.hex(), "confirm", "verification key differs")
    proof = decode_proof(body["share_proof"], check="confirm")
    ok = schnorr_verify(TAG_POK_SHARE, poll_hash, j, vk, proof)
    _require(ok, "share_proof", "the share proof fails")
    return j


def ready_body(trustees: list[TrusteeKeys]) -> dict[str, Any]:
    """The server's `ready` body: K and X_1..X_n in index order."""
    ordered = sorted(trustees, key=lambda t: t.index)
    n = len(ordered)
    return {
        "joint_key": joint_key(ordered).hex(),
        "verification_keys": [verification_key(ordered, j).hex() for j in range(1, n + 1)],
    }


def share_total(shares: list[int]) -> int:
    """x_j = Σ_i s_ij mod L."""
    return sum(shares) % L
