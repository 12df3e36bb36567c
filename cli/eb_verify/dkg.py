"""Setup entries (§7): trustee, shares, confirm, ready, and a failed setup's entries."""

from typing import Any

from cli.eb_verify.errors import CheckFailed
from cli.eb_verify.fields import array, exact, hex_bytes, integer, point, proof, string
from cli.eb_verify.group import IDENTITY, L, Point, base, hash_to_scalar, mul, sub, total
from cli.eb_verify.state import State


def schnorr_ok(tag: str, poll_hash: bytes, index: int, key: Point, pair: tuple[int, int]) -> bool:
    """schnorr_verify of §7.2."""
    c, z = pair
    commitment = sub(base(z), mul(c, key))
    return c == hash_to_scalar(tag, poll_hash, index, key, commitment)


def _trustee_index(value: Any, state: State, check: str, seen: set[int] | dict[int, Any]) -> int:
    index = integer(value, check, "trustee index", low=1, high=state.p.n)
    if index in seen:
        raise CheckFailed(check, f"trustee {index} has posted this kind already")
    return index


def check_trustee(body: dict[str, Any], state: State) -> None:
    """§7.2: keys decode (no O), t commitments, both proofs, transport keys distinct."""
    check = "trustees"
    fields = {"trustee", "transport_key", "commitments", "transport_proof", "coefficient_proof"}
    exact(body, fields, check, "body")
    index = _trustee_index(body["trustee"], state, check, state.transport_keys)
    transport = point(body["transport_key"], check, "transport_key")
    items = array(body["commitments"], check, "commitments", state.p.t)
    commitments = [point(item, check, "a commitment") for item in items]
    if transport in state.transport_keys.values():
        raise CheckFailed(check, "two trustees have the same transport key")
    pairs = (
        ("hop-eb-v1/pok-transport", transport, body["transport_proof"], "transport_proof"),
        (
            "hop-eb-v1/pok-coefficient",
            commitments[0],
            body["coefficient_proof"],
            "coefficient_proof",
        ),
    )
    for tag, key, value, name in pairs:
        if not schnorr_ok(tag, state.poll_hash, index, key, proof(value, check, name)):
            raise CheckFailed(check, f"{name} of trustee {index} does not verify")
    state.transport_keys[index] = transport
    state.commitments[index] = commitments


def check_shares(body: dict[str, Any], state: State) -> None:
    """§7.3 structure (the shares themselves are sealed to their recipients)."""
    check = "shares"
    exact(body, {"dealer", "shares"}, check, "body")
    dealer = _trustee_index(body["dealer"], state, check, state.dealers)
    recipients = [j for j in range(1, state.p.n + 1) if j != dealer]
    items = array(body["shares"], check, "shares", len(recipients))
    for recipient, item in zip(recipients, items, strict=True):
        exact(item, {"recipient", "ephemeral", "ciphertext"}, check, "a share")
        if type(item["recipient"]) is not int or item["recipient"] != recipient:
            raise CheckFailed(check, "recipients are not every other trustee in increasing order")
        point(item["ephemeral"], check, "ephemeral")
        hex_bytes(item["ciphertext"], 48, check, "ciphertext")
    state.dealers.add(dealer)


def joint_key(state: State) -> Point:
    """K = Σ A_i0 (§7.7)."""
    return total([state.commitments[i][0] for i in sorted(state.commitments)])


def verification_key(state: State, j: int) -> Point:
    """X_j = Σ_i Σ_k (j^k mod l)·A_ik (§7.7)."""
    terms = [
        mul(pow(j, k, L), commitment)
        for i in sorted(state.commitments)
        for k, commitment in enumerate(state.commitments[i])
    ]
    return total(terms)


def check_confirm(body: dict[str, Any], state: State) -> None:
    """§7.5: joint_key and verification_key as computed from the board, share proof."""
    check = "confirm"
    exact(body, {"trustee", "joint_key", "verification_key", "share_proof"}, check, "body")
    j = _trustee_index(body["trustee"], state, check, state.confirmed)
    key = joint_key(state)
    if key == IDENTITY or point(body["joint_key"], check, "joint_key") != key:
        raise CheckFailed(check, f"trustee {j}'s joint_key is not K computed from the board")
    x_j = verification_key(state, j)
    if point(body["verification_key"], check, "verification_key") != x_j:
        raise CheckFailed(check, f"trustee {j}'s verification_key is not X_{j} from the board")
    pair = proof(body["share_proof"], check, "share_proof")
    if not schnorr_ok("hop-eb-v1/pok-share", state.poll_hash, j, x_j, pair):
        raise CheckFailed(check, f"share_proof of trustee {j} does not verify")
    state.confirmed.add(j)


def check_ready(body: dict[str, Any], state: State) -> None:
    """§7.6: K and every X_j recomputed from the commitments."""
    check = "ready"
    exact(body, {"joint_key", "verification_keys"}, check, "body")
    key = joint_key(state)
    if point(body["joint_key"], check, "joint_key") != key:
        raise CheckFailed(check, "joint_key is not K computed from the commitments")
    items = array(body["verification_keys"], check, "verification_keys", state.p.n)
    for j, item in enumerate(items, start=1):
        x_j = verification_key(state, j)
        if point(item, check, f"X_{j}") != x_j:
            raise CheckFailed(check, f"X_{j} is not computed from the commitments")
        state.verification_keys[j] = x_j
    state.joint_key = key
    state.ready = True


def check_complaint(body: dict[str, Any], state: State) -> None:
    """§7.4: who complains about which dealer, and why (it cannot be judged from the board)."""
    check = "setup"
    exact(body, {"trustee", "dealer", "reason"}, check, "body")
    trustee = integer(body["trustee"], check, "trustee", low=1, high=state.p.n)
    if trustee in state.confirmed:
        raise CheckFailed(check, f"trustee {trustee} complains after confirming")
    dealer = integer(body["dealer"], check, "dealer", low=1, high=state.p.n)
    if trustee == dealer:
        raise CheckFailed(check, "a trustee complains about itself")
    if string(body["reason"], check, "reason") not in {"decrypt", "encoding", "feldman"}:
        raise CheckFailed(check, "reason is not decrypt, encoding or feldman")
    state.complaints += 1


def check_abandoned(body: dict[str, Any], state: State) -> None:
    """§7.4: `complaint` only after a complaint; otherwise `cancelled`."""
    check = "setup"
    reason = string(exact(body, {"reason"}, check, "body")["reason"], check, "reason")
    if reason not in {"complaint", "cancelled"} or (reason == "complaint") != bool(
        state.complaints
    ):
        raise CheckFailed(check, "reason is not `complaint` after a complaint, else `cancelled`")
    state.ended = f"abandoned ({reason})"
