"""Trustees' devices and tablets played in Python: each reads the board as served and makes
the body it would post (spec §7, §9, §14), with this library. The browser does the same with
web/static/eb/; these serve the tests, the benchmarks and any tool that must act as a device.
"""

from dataclasses import dataclass, field
from typing import Any

from voting.encrypted import dkg, tally
from voting.encrypted.audit import read_setup
from voting.encrypted.ballots import encrypt_ballot
from voting.encrypted.board import poll_hash
from voting.encrypted.elgamal import decode_ciphertext
from voting.encrypted.group import L
from voting.encrypted.parameters import read_parameters
from voting.encrypted.shape import choice_vector

Board = dict[str, Any]


def entries_of(board: Board, kind: str) -> list[dict[str, Any]]:
    return [entry for entry in board["entries"] if entry["kind"] == kind]


@dataclass
class Device:
    """Trustee i's browser: its DKG secrets, then its share x_i."""

    index: int
    dealer: dkg.DealerSecrets | None = None
    share: int | None = None

    def trustee_body(self, board: Board) -> dict[str, Any]:
        threshold = board["entries"][0]["body"]["threshold"]
        self.dealer = dkg.new_dealer(self.index, threshold)
        return dkg.trustee_body(poll_hash(board["entries"]), self.dealer)

    def shares_body(self, board: Board) -> dict[str, Any]:
        assert self.dealer is not None
        transports = {k.index: k.transport_key for k in _keys(board)}
        return dkg.shares_body(poll_hash(board["entries"]), self.dealer, transports)

    def confirm_body(self, board: Board) -> dict[str, Any]:
        assert self.dealer is not None
        ph, keys, j = poll_hash(board["entries"]), _keys(board), self.index
        total = dkg.share_value(self.dealer.coefficients, j)
        for entry in entries_of(board, "shares"):
            i = entry["body"]["dealer"]
            if i == j:
                continue
            ephemeral, ct = dkg.check_shares_body(entry["body"], len(keys))[j]
            secret = self.dealer.transport_secret
            commitments = keys[i - 1].commitments
            total += dkg.decrypt_share(ph, i, j, secret, ephemeral, ct, commitments)
        self.share = total % L
        return dkg.confirm_body(ph, j, self.share, keys)

    def partial_body(self, board: Board) -> dict[str, Any]:
        assert self.share is not None
        (close,) = entries_of(board, "close")
        (ready,) = entries_of(board, "ready")
        sums = [
            decode_ciphertext(s, allow_identity=True, check="close") for s in close["body"]["sums"]
        ]
        vk = bytes.fromhex(ready["body"]["verification_keys"][self.index - 1])
        ph, close_hash = poll_hash(board["entries"]), bytes.fromhex(close["hash"])
        return tally.partial_body(ph, close_hash, self.index, self.share, vk, sums)

    def body(self, kind: str, board: Board) -> dict[str, Any]:
        make = {
            "trustee": self.trustee_body,
            "shares": self.shares_body,
            "confirm": self.confirm_body,
            "partial": self.partial_body,
        }
        return make[kind](board)


def _keys(board: Board) -> list[dkg.TrusteeKeys]:
    entries = board["entries"]
    params = read_parameters(entries[0]["body"])
    ph = poll_hash(entries)
    keys = [
        dkg.verify_trustee_body(e["body"], ph, params.n, params.threshold)
        for e in entries_of(board, "trustee")
    ]
    return sorted(keys, key=lambda k: k.index)


@dataclass
class Committee:
    devices: list[Device] = field(default_factory=list)

    @classmethod
    def of(cls, n: int) -> "Committee":
        return cls([Device(i) for i in range(1, n + 1)])


SETUP_PHASES = ("trustee", "shares", "confirm")


def tablet(board: Board, options: list[str], *, abstain: bool = False) -> dict[str, Any]:
    """A tablet's reveal object {ballot, choice, randomness} for the answer: checks the board
    up to `ready` first, as a tablet does (spec §15.4)."""
    setup = read_setup(board)
    m = choice_vector(setup.params.shape, options, abstain=abstain)
    return encrypt_ballot(setup.params.shape, m, setup.key, setup.poll_hash)
