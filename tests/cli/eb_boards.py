"""Test-only builder of hop-eb-v1 boards (docs/ENCRYPTED_BALLOTS.md), deterministic from a seed.

It plays every party: the server (parameters, ready, close, result), the trustees (DKG, shares,
partial decryptions) and the tablets (ballots, a Benaloh reveal). It borrows only the verifier's
group arithmetic and hashes, which the vector tests check against the spec on their own.
"""

import copy
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cli.eb_verify.canon import canon
from cli.eb_verify.group import (
    IDENTITY,
    L,
    Point,
    add,
    base,
    h256,
    hash_to_scalar,
    le32,
    mul,
    sub,
    total,
)

GENESIS = "0" * 64
Draw = Callable[..., int]  # draw(*label) -> a scalar in 1..l-1
OUTCOME = {
    "verdict": "adopted", "winners": [], "tied": [], "needed": 0, "base": "cast",
    "present": 0, "members": 0, "eligible": 0, "quorum_met": True,
}  # fmt: skip


def seeded(seed: int) -> Draw:
    """Deterministic "random" scalars from a seed (labels are ignored)."""
    rng = random.Random(seed)
    return lambda *label: rng.randrange(1, L)


def fixed(*label: str | int) -> int:
    """The vectors' fixed values (§17)."""
    return hash_to_scalar("hop-eb-v1/test-vector", *label)


# Parameters (§6)


def parameters(
    *, kind: str = "yes_no", n: int = 3, t: int = 2, options: int = 3, low: int = 1, high: int = 2
) -> dict[str, Any]:
    """A parameters body with the derived slots, weights and allowed sums."""
    if kind == "yes_no":
        opts = [{"id": "yes", "label": "Đồng ý"}, {"id": "no", "label": "Không đồng ý"}]
    else:
        opts = [{"id": str(k), "label": f"Ứng viên {k}"} for k in range(1, options + 1)]
    p = len(opts)
    low, high = (low, high) if kind == "multiple" else (1, 1)
    weights = [1] * p + [p + 1] if kind == "multiple" else [1] * (p + 1)
    allowed = [*range(low, high + 1), p + 1] if kind == "multiple" else [1]
    return {
        "protocol": "hop-eb-v1", "poll_id": 42, "meeting_id": 7, "attempt": 1,
        "board_nonce": "00112233445566778899aabbccddeeff", "title": "Lấy phiếu tín nhiệm",
        "kind": kind, "options": opts, "slots": [o["id"] for o in opts] + ["abstain"],
        "min_choices": low, "max_choices": high, "weights": weights, "allowed_sums": allowed,
        "majority_rule": "simple", "threshold": t,
        "trustees": [
            {"index": i, "person_id": 10 + i, "name": f"Thành viên {i}"} for i in range(1, n + 1)
        ],
    }  # fmt: skip


# The chain (§5.2)


def entry_hash(index: int, kind: str, body: Any, prev: str) -> str:
    unhashed = {"body": body, "index": index, "kind": kind, "prev": prev}
    return h256("hop-eb-v1/entry", canon(unhashed)).hex()


def rehash(board: dict[str, Any], start: int = 0) -> dict[str, Any]:
    """Re-number and re-link every entry from `start` on, as a forging server would."""
    entries = board["entries"]
    prev = entries[start - 1]["hash"] if start else GENESIS
    for index in range(start, len(entries)):
        entry = entries[index]
        entry.update(index=index, prev=prev)
        entry["hash"] = prev = entry_hash(index, entry["kind"], entry["body"], prev)
    return board


def schnorr(tag: str, poll_hash: bytes, index: int, x: int, w: int) -> dict[str, str]:
    """schnorr_prove of §7.2 with the nonce given."""
    key = base(x)
    c = hash_to_scalar(tag, poll_hash, index, key, base(w))
    return {"c": le32(c).hex(), "z": le32(w + c * x).hex()}


def cds(
    tag: str, ctx: list[Any], key: Point, ct: tuple[Point, Point], values: list[int],
    r: int, k: int, draw: Draw, label: str,
) -> list[dict[str, str]]:  # fmt: skip
    """cds_prove of §9.2: simulated branches draw (label, "c"|"z", i), the nonce (label, "w")."""
    a, b = ct
    cs, zs, commitments = {}, {}, []
    for i, value in enumerate(values):
        if i == k:
            w = draw(label, "w")
            commitments += [base(w), mul(w, key)]
            continue
        cs[i], zs[i] = draw(label, "c", i), draw(label, "z", i)
        commitments += [
            sub(base(zs[i]), mul(cs[i], a)),
            sub(mul(zs[i], key), mul(cs[i], sub(b, base(value)))),
        ]
    c = hash_to_scalar(tag, *ctx, key, a, b, len(values), *values, *commitments)
    cs[k] = (c - sum(cs.values())) % L
    zs[k] = (w + cs[k] * r) % L
    return [{"c": le32(cs[i]).hex(), "z": le32(zs[i]).hex()} for i in range(len(values))]


@dataclass
class Builder:
    """Appends entries in order, keeping the secrets every party would hold."""

    params: dict[str, Any]
    draw: Draw
    entries: list[dict[str, Any]] = field(default_factory=list)
    coefficients: dict[int, list[int]] = field(default_factory=dict)
    transport: dict[int, int] = field(default_factory=dict)
    shares: dict[int, int] = field(default_factory=dict)
    ballots: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    reveals: list[dict[str, Any]] = field(default_factory=list)
    voters: list[int] = field(default_factory=list)

    def append(self, kind: str, body: Any) -> dict[str, Any]:
        prev = self.entries[-1]["hash"] if self.entries else GENESIS
        index = len(self.entries)
        digest = entry_hash(index, kind, body, prev)
        entry = {"index": index, "kind": kind, "body": body, "prev": prev, "hash": digest}
        self.entries.append(entry)
        return entry

    @property
    def poll_hash(self) -> bytes:
        return bytes.fromhex(self.entries[0]["hash"])

    @property
    def n(self) -> int:
        return len(self.params["trustees"])

    @property
    def t(self) -> int:
        return int(self.params["threshold"])

    @property
    def key(self) -> Point:
        return total([base(self.coefficients[i][0]) for i in sorted(self.coefficients)])

    def board(self) -> dict[str, Any]:
        """A deep copy of the document, safe to tamper with."""
        document = {"protocol": "hop-eb-v1", "poll_id": self.params["poll_id"]}
        return copy.deepcopy({**document, "entries": self.entries})

    # Setup (§7)

    def setup(self, trustee_bodies: list[dict[str, Any]] | None = None) -> None:
        self.append("parameters", self.params)
        for i in range(1, self.n + 1):
            self.transport[i] = self.draw("transport", i)
            self.coefficients[i] = [self.draw("coef", i, k) for k in range(self.t)]
        for i in range(1, self.n + 1):
            self.append("trustee", trustee_bodies[i - 1] if trustee_bodies else self._trustee(i))
        for i in range(1, self.n + 1):
            self.append("shares", self._shares(i))
        for j in range(1, self.n + 1):
            self.shares[j] = sum(self._f(i, j) for i in range(1, self.n + 1)) % L
        for j in range(1, self.n + 1):
            self.append("confirm", self.confirm_body(j))
        keys = [base(self.shares[j]).hex() for j in range(1, self.n + 1)]
        self.append("ready", {"joint_key": self.key.hex(), "verification_keys": keys})

    def _f(self, i: int, j: int) -> int:
        return sum(a * pow(j, k, L) for k, a in enumerate(self.coefficients[i])) % L

    def _trustee(self, i: int) -> dict[str, Any]:
        e, a0 = self.transport[i], self.coefficients[i][0]
        return {
            "trustee": i,
            "transport_key": base(e).hex(),
            "commitments": [base(a).hex() for a in self.coefficients[i]],
            "transport_proof": schnorr(
                "hop-eb-v1/pok-transport", self.poll_hash, i, e, self.draw("pok-transport", i, "w")
            ),
            "coefficient_proof": schnorr(
                "hop-eb-v1/pok-coefficient",
                self.poll_hash,
                i,
                a0,
                self.draw("pok-coefficient", i, "w"),
            ),  # fmt: skip
        }

    def _shares(self, i: int) -> dict[str, Any]:
        items = [self.share_item(i, j) for j in range(1, self.n + 1) if j != i]
        return {"dealer": i, "shares": items}

    def share_item(self, i: int, j: int) -> dict[str, Any]:
        """Dealer i's share for j, sealed to E_j (§7.3)."""
        y, e_j = self.draw("ephemeral", i, j), base(self.transport[j])
        ephemeral = base(y)
        info = b"".join(
            [
                _item(b"hop-eb-v1/share-key"),
                _item_int(i),
                _item_int(j),
                _item(ephemeral),
                _item(e_j),
            ]
        )
        hkdf = HKDF(algorithm=hashes.SHA256(), length=44, salt=self.poll_hash, info=info)
        okm = hkdf.derive(mul(y, e_j))
        aad = b"".join(
            [_item(b"hop-eb-v1/share-aad"), _item(self.poll_hash), _item_int(i), _item_int(j)]
        )
        sealed = AESGCM(okm[:32]).encrypt(okm[32:], le32(self._f(i, j)), aad)
        return {"recipient": j, "ephemeral": ephemeral.hex(), "ciphertext": sealed.hex()}

    def confirm_body(self, j: int) -> dict[str, Any]:
        x_j = self.shares[j]
        proof = schnorr(
            "hop-eb-v1/pok-share", self.poll_hash, j, x_j, self.draw("pok-share", j, "w")
        )
        return {
            "trustee": j,
            "joint_key": self.key.hex(),
            "verification_key": base(x_j).hex(),
            "share_proof": proof,
        }

    # Ballots (§9) and reveals (§11)

    def encrypt(self, choice: list[int], prefix: str = "r") -> tuple[dict[str, Any], list[int]]:
        """A ballot object for a plaintext vector, and its randomness."""
        key, weights = self.key, self.params["weights"]
        rs = [self.draw(prefix, o) for o in range(len(choice))]
        cts = [(base(r), add(base(m), mul(r, key))) for r, m in zip(rs, choice, strict=True)]
        flat = [part for pair in cts for part in pair]
        code = h256("hop-eb-v1/tracking", self.poll_hash, len(cts), *flat)
        proofs = [
            cds("hop-eb-v1/proof-bit", [self.poll_hash, code, o], key, ct, [0, 1], r, m,
                self.draw, f"bit{o}")
            for o, (ct, r, m) in enumerate(zip(cts, rs, choice, strict=True))
        ]  # fmt: skip
        weighted = (
            total([mul(w, a) for w, (a, _) in zip(weights, cts, strict=True)]),
            total([mul(w, b) for w, (_, b) in zip(weights, cts, strict=True)]),
        )
        s = sum(w * m for w, m in zip(weights, choice, strict=True))
        r_sum = sum(w * r for w, r in zip(weights, rs, strict=True)) % L
        allowed = self.params["allowed_sums"]
        sum_proof = cds(
            "hop-eb-v1/proof-sum", [self.poll_hash, code], key, weighted, allowed, r_sum,
            allowed.index(s), self.draw, "sum",
        )  # fmt: skip
        ballot = {
            "ciphertexts": [{"a": a.hex(), "b": b.hex()} for a, b in cts],
            "proofs": proofs,
            "sum_proof": sum_proof,
            "tracking_code": code.hex(),
        }
        return ballot, rs

    def cast(self, choice: list[int], voter: int) -> dict[str, Any]:
        ballot, _ = self.encrypt(choice)
        self.ballots.append((ballot["tracking_code"], ballot))
        self.voters.append(voter)
        return ballot

    def spoil(self, choice: list[int]) -> dict[str, Any]:
        ballot, rs = self.encrypt(choice)
        randomness = [le32(r).hex() for r in rs]
        reveal = {"ballot": ballot, "choice": choice, "randomness": randomness}
        self.reveals.append(reveal)
        return reveal

    # Close, partials, result (§13, §14)

    def close(self) -> None:
        for _, ballot in sorted(self.ballots, key=lambda pair: pair[0]):
            self.append("ballot", ballot)
        for reveal in sorted(self.reveals, key=lambda rev: rev["ballot"]["tracking_code"]):
            self.append("spoiled", reveal)
        sums = []
        for o in range(len(self.params["slots"])):
            cts = [ballot["ciphertexts"][o] for _, ballot in self.ballots]
            a = total([bytes.fromhex(ct["a"]) for ct in cts])
            b = total([bytes.fromhex(ct["b"]) for ct in cts])
            sums.append({"a": a.hex(), "b": b.hex()})
        body = {"ballots": len(self.ballots), "voters": sorted(self.voters), "sums": sums}
        self.append("close", body)

    def partial(self, j: int) -> dict[str, Any]:
        """Trustee j's partial decryption of the close sums, with proofs (§14.1)."""
        close = self.entries[-1] if self.entries[-1]["kind"] == "close" else self._close()
        close_hash, x_j = bytes.fromhex(close["hash"]), self.shares[j]
        decryptions = []
        for o, pair in enumerate(close["body"]["sums"]):
            a_o = bytes.fromhex(pair["a"])
            d, w = mul(x_j, a_o), self.draw("decrypt", j, o)
            c = hash_to_scalar(
                "hop-eb-v1/proof-decrypt", self.poll_hash, close_hash, j, o, base(x_j), a_o, d,
                base(w), mul(w, a_o),
            )  # fmt: skip
            proof = {"c": le32(c).hex(), "z": le32(w + c * x_j).hex()}
            decryptions.append({"d": d.hex(), "proof": proof})
        return {"trustee": j, "decryptions": decryptions}

    def _close(self) -> dict[str, Any]:
        return next(entry for entry in self.entries if entry["kind"] == "close")

    def decrypt(self, trustees: list[int]) -> None:
        """Partials by these trustees in this order, then the result (§14.2)."""
        for j in trustees if self.ballots else []:
            self.append("partial", self.partial(j))
        chosen = sorted(trustees[: self.t]) if self.ballots else []
        # The builder dealt every polynomial, so it knows the joint secret x = Σ a_i0.
        x = sum(self.coefficients[i][0] for i in self.coefficients) % L
        counts = [0] * len(self.params["slots"])
        for _, ballot in self.ballots:
            for o, item in enumerate(ballot["ciphertexts"]):
                counts[o] += _decrypt_bit(item, x)
        body = {"counts": counts, "decrypted_by": chosen, "outcome": dict(OUTCOME)}
        self.append("result", body)


def _decrypt_bit(item: dict[str, str], x: int) -> int:
    m = sub(bytes.fromhex(item["b"]), mul(x, bytes.fromhex(item["a"])))
    return 0 if m == IDENTITY else 1


def _item(raw: bytes) -> bytes:
    return len(raw).to_bytes(4, "big") + raw


def _item_int(value: int) -> bytes:
    return _item(value.to_bytes(8, "big"))


# Ready-made boards


def valid_board(
    *, seed: int = 1, kind: str = "yes_no", n: int = 3, t: int = 2, choices: list[list[int]],
    spoil: list[int] | None = None, decrypt_by: list[int] | None = None, **params: int,
) -> Builder:  # fmt: skip
    """A complete valid board: setup, the ballots cast, optionally a reveal, close, result."""
    builder = Builder(parameters(kind=kind, n=n, t=t, **params), seeded(seed))
    builder.setup()
    for number, choice in enumerate(choices):
        builder.cast(choice, voter=100 + number)
    if spoil is not None:
        builder.spoil(spoil)
    builder.close()
    builder.decrypt(decrypt_by or list(range(1, t + 1)))
    return builder


def vectors_board(vectors: dict[str, Any]) -> Builder:
    """A board made of the vectors file's pieces (§17), completed with the same fixed values."""
    params = vectors["board_entry"]["entry_without_hash"]["body"]
    builder = Builder(copy.deepcopy(params), fixed)
    builder.setup(trustee_bodies=vectors["dkg"]["trustee_entries"])
    builder.ballots.append(
        (vectors["ballot"]["ballot"]["tracking_code"], vectors["ballot"]["ballot"])
    )
    builder.voters.append(11)
    second, _ = builder.encrypt(vectors["tally"]["second_ballot"]["choice"], prefix="r2")
    builder.ballots.append((second["tracking_code"], second))
    builder.voters.append(12)
    builder.close()
    builder.decrypt(vectors["tally"]["decrypted_by"])
    return builder


def dumps(board: dict[str, Any]) -> str:
    return json.dumps(board, ensure_ascii=False, indent=1)
