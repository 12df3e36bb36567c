"""Shared builders for the hop-eb-v1 tests: the vectors file, a whole DKG, forged ballots."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voting.encrypted import dkg, tally
from voting.encrypted.ballots import encrypt_ballot, verify_ballot
from voting.encrypted.board import GENESIS, append_entry, entry_hash, poll_hash
from voting.encrypted.elgamal import encrypt_with, weighted_sum
from voting.encrypted.group import L, rand
from voting.encrypted.parameters import read_parameters
from voting.encrypted.proofs import cds_prove
from voting.encrypted.shape import PollShape
from voting.encrypted.tracking import tracking_code
from voting.encrypted.transcript import TAG_PROOF_BIT, TAG_PROOF_SUM, fixed

VECTORS_PATH = Path(__file__).parents[3] / "docs" / "encrypted_ballots_vectors.json"
POLL_HASH = bytes.fromhex("794efddd9568843f1e904c6a96c278ef3a0e8189fde03076754217d1a8ca0b53")


def vectors() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return result


def fixed_nonces(*labels: str | int) -> int:
    return fixed(*labels)


@dataclass
class Committee:
    n: int
    threshold: int
    dealers: list[dkg.DealerSecrets]
    trustees: list[dkg.TrusteeKeys]
    shares: dict[int, int]
    key: bytes
    vks: list[bytes]


def _collect_share(
    poll_hash: bytes,
    j: int,
    dealers: list[dkg.DealerSecrets],
    trustees: list[dkg.TrusteeKeys],
    bodies: list[dict[str, Any]],
) -> int:
    total = 0
    for dealer, keys, body in zip(dealers, trustees, bodies, strict=True):
        if dealer.index == j:
            total += dkg.share_value(dealer.coefficients, j)
            continue
        ephemeral, ct = dkg.check_shares_body(body, len(dealers))[j]
        secret = dealers[j - 1].transport_secret
        total += dkg.decrypt_share(
            poll_hash, dealer.index, j, secret, ephemeral, ct, keys.commitments
        )
    return total % L


def run_dkg(n: int, threshold: int, poll_hash: bytes = POLL_HASH) -> Committee:
    """Every phase of §7 with fresh randomness, through the entry bodies."""
    dealers = [dkg.new_dealer(i, threshold) for i in range(1, n + 1)]
    bodies = [dkg.trustee_body(poll_hash, d) for d in dealers]
    trustees = [dkg.verify_trustee_body(b, poll_hash, n, threshold) for b in bodies]
    transports = {t.index: t.transport_key for t in trustees}
    share_bodies = [dkg.shares_body(poll_hash, d, transports) for d in dealers]
    shares = {
        j: _collect_share(poll_hash, j, dealers, trustees, share_bodies) for j in range(1, n + 1)
    }
    ready = dkg.ready_body(trustees)
    vks = [bytes.fromhex(x) for x in ready["verification_keys"]]
    key = bytes.fromhex(ready["joint_key"])
    return Committee(n, threshold, dealers, trustees, shares, key, vks)


def forge_ballot(shape: PollShape, m: list[int], key: bytes, poll_hash: bytes) -> dict[str, Any]:
    """A ballot for any integer vector, proofs made as an honest prover would try (they fail
    wherever the vector breaks the rules): what a cheating tablet can send."""
    rs = [rand() for _ in m]
    cts = [encrypt_with(v % L, key, r) for v, r in zip(m, rs, strict=True)]
    tracking = tracking_code(poll_hash, cts)
    proofs = [
        cds_prove(
            TAG_PROOF_BIT,
            [poll_hash, tracking, o],
            key,
            ct.a,
            ct.b,
            (0, 1),
            rs[o],
            1 if m[o] == 1 else 0,
        )
        for o, ct in enumerate(cts)
    ]
    total = weighted_sum(cts, list(shape.weights))
    s = sum(w * v for w, v in zip(shape.weights, m, strict=True))
    k = shape.allowed_sums.index(s) if s in shape.allowed_sums else 0
    r_sum = sum(w * r for w, r in zip(shape.weights, rs, strict=True)) % L
    sum_proof = cds_prove(
        TAG_PROOF_SUM, [poll_hash, tracking], key, total.a, total.b, shape.allowed_sums, r_sum, k
    )
    return {
        "ciphertexts": [ct.to_json() for ct in cts],
        "proofs": [[p.to_json() for p in branch] for branch in proofs],
        "sum_proof": [p.to_json() for p in sum_proof],
        "tracking_code": tracking.hex(),
    }


def _setup_entries(
    entries: list[dict[str, Any]], body: dict[str, Any], n: int, t: int
) -> Committee:
    """Parameters, then every setup entry of §7 through the bodies, then `ready`."""
    append_entry(entries, "parameters", body)
    ph = poll_hash(entries)
    dealers = [dkg.new_dealer(i, t) for i in range(1, n + 1)]
    for d in dealers:
        append_entry(entries, "trustee", dkg.trustee_body(ph, d))
    keys = [dkg.verify_trustee_body(e["body"], ph, n, t) for e in entries[1:]]
    transports = {k.index: k.transport_key for k in keys}
    bodies = [dkg.shares_body(ph, d, transports) for d in dealers]
    for b in bodies:
        append_entry(entries, "shares", b)
    shares = {j: _collect_share(ph, j, dealers, keys, bodies) for j in range(1, n + 1)}
    for j in range(1, n + 1):
        append_entry(entries, "confirm", dkg.confirm_body(ph, j, shares[j], keys))
    ready = append_entry(entries, "ready", dkg.ready_body(keys))["body"]
    vks = [bytes.fromhex(x) for x in ready["verification_keys"]]
    return Committee(n, t, dealers, keys, shares, bytes.fromhex(ready["joint_key"]), vks)


def build_board(answers: list[list[int]], spoil: int = 1, n: int = 3, t: int = 2) -> dict[str, Any]:
    """A whole valid board for the vectors' yes/no poll: setup, ballots, close, t partials,
    result, made with the library's own functions."""
    body = vectors()["board_entry"]["entry_without_hash"]["body"]
    shape = read_parameters(body).shape
    entries: list[dict[str, Any]] = []
    committee = _setup_entries(entries, body, n, t)
    ph = poll_hash(entries)
    ballots = sorted(
        (encrypt_ballot(shape, m, committee.key, ph)["ballot"] for m in answers),
        key=lambda b: b["tracking_code"],
    )
    for ballot in ballots:
        append_entry(entries, "ballot", ballot)
    reveals = [encrypt_ballot(shape, [1, 0, 0], committee.key, ph) for _ in range(spoil)]
    for reveal in sorted(reveals, key=lambda r: r["ballot"]["tracking_code"]):
        append_entry(entries, "spoiled", reveal)
    cts = [verify_ballot(b, shape, committee.key, ph).ciphertexts for b in ballots]
    close = append_entry(
        entries, "close", tally.close_body(cts, list(range(100, 100 + len(cts))), shape.size)
    )
    sums = tally.slot_sums(cts, shape.size)
    close_hash = bytes.fromhex(close["hash"])
    partials = {}
    for j in range(1, t + 1) if cts else []:
        x, vk = committee.shares[j], committee.vks[j - 1]
        part = tally.partial_body(ph, close_hash, j, x, vk, sums)
        partials[j] = tally.verify_partial(part, ph, close_hash, committee.vks, sums)[1]
        append_entry(entries, "partial", part)
    counts = tally.combine(sums, partials, t, len(cts)) if cts else [0] * shape.size
    append_entry(entries, "result", tally.result_body(counts, sorted(partials), OUTCOME))
    return {"protocol": "hop-eb-v1", "poll_id": body["poll_id"], "entries": entries}


OUTCOME = {
    "verdict": "adopted",
    "winners": ["yes"],
    "tied": [],
    "needed": 2,
    "base": "cast",
    "present": 3,
    "members": 3,
    "eligible": 3,
    "quorum_met": True,
}


def rechain(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recompute every prev and hash, as a dishonest server would after an edit."""
    out: list[dict[str, Any]] = []
    prev = GENESIS
    for index, entry in enumerate(entries):
        kind, body = entry["kind"], entry["body"]
        digest = entry_hash(index, kind, body, prev)
        out.append({"index": index, "kind": kind, "body": body, "prev": prev, "hash": digest})
        prev = digest
    return out
