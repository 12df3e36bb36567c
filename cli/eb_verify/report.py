"""The verifier's report: one line per check group, the stage reached, the counts."""

from dataclasses import dataclass, field
from typing import Any

GROUPS = {
    "document": "Document",
    "chain": "Hash chain",
    "order": "Entry order",
    "parameters": "Parameters",
    "trustees": "Trustees",
    "shares": "Shares",
    "confirm": "Confirmations",
    "setup": "Failed setup",
    "ready": "Joint key",
    "ballots": "Ballots",
    "spoiled": "Spoiled",
    "close": "Close",
    "partials": "Partials",
    "result": "Result",
}


@dataclass
class Failure:
    """The first failed check: where, which, why."""

    index: int | None
    kind: str | None
    check: str
    reason: str


@dataclass
class Report:
    """Everything the verifier found; `valid` only when no check failed."""

    entries: int = 0
    head: str = ""
    poll_id: object = None
    title: str = ""
    stage: str = "no entry"
    done: dict[str, int] = field(default_factory=dict)  # group -> entries that passed
    failure: Failure | None = None
    counts: list[tuple[str, int]] = field(default_factory=list)
    verdict: object = None
    signature: str = "absent"  # the report's line for the signature (§5.4)
    signature_status: str = "absent"  # valid | invalid | not checked | absent
    signature_required: bool = False  # a key was given: only a valid signature will do
    codes: dict[str, str] = field(default_factory=dict)  # tracking code -> "cast" | "spoiled"

    @property
    def valid(self) -> bool:
        return self.failure is None and self.signature_holds

    @property
    def signature_holds(self) -> bool:
        """Without a key any signature will do; with one, only a valid signature of this board."""
        return not self.signature_required or self.signature_status == "valid"

    def passed(self, group: str) -> None:
        """One more entry of this group passed its checks."""
        self.done[group] = self.done.get(group, 0) + 1

    def status(self, group: str) -> str:
        if self.failure is not None and self.failure.check == group:
            return "FAILED"
        return "ok" if group in self.done else "not reached" if self.failure else "none"

    def as_json(self) -> dict[str, Any]:
        """The machine-readable report (--json)."""
        checks = [
            {"check": group, "status": self.status(group), "entries": self.done.get(group, 0)}
            for group in GROUPS
        ]
        return {
            "valid": self.valid,
            "protocol": "hop-eb-v1",
            "poll_id": self.poll_id,
            "entries": self.entries,
            "head": self.head,
            "stage": self.stage,
            "checks": checks,
            "failure": None if self.failure is None else vars(self.failure),
            "counts": [{"label": label, "count": count} for label, count in self.counts],
            "verdict": self.verdict,
            "signature": {"status": self.signature_status, "detail": self.signature},
        }

    def lines(self) -> list[str]:
        """The human-readable report, one line per check group."""
        rows = [
            ("Board", f"poll #{self.poll_id} {self.title}".rstrip()),
            ("Entries", str(self.entries)),
        ]
        rows += [("Head", self.head or "-"), ("Stage", self.stage)]
        rows += [(GROUPS[g], self._group_line(g)) for g in GROUPS if self._shown(g)]
        rows.append(("Signature", self.signature))
        if self.counts:
            rows.append(("Counts", ", ".join(f"{label}: {count}" for label, count in self.counts)))
            rows.append(("Verdict", f"{self.verdict} (as posted; it is not recomputed)"))
        out = [f"{label + ':':<15}{value}" for label, value in rows]
        out.append(self._conclusion())
        return out

    def _shown(self, group: str) -> bool:
        return group != "setup" or group in self.done or self.status(group) == "FAILED"

    def _group_line(self, group: str) -> str:
        status = self.status(group)
        if status == "FAILED" and self.failure is not None:
            return f"FAILED: {self.failure.reason}"
        if status == "not reached":
            return status
        count = self.done.get(group, 0)
        return (
            f"{status} ({count} {'entry' if count == 1 else 'entries'})"
            if group != "document"
            else status
        )

    def _conclusion(self) -> str:
        if self.failure is None and not self.signature_holds:
            if self.signature_status == "absent":
                return "INVALID: the board is not signed, and --key asks for its signature."
            return f"INVALID: the server's signature: {self.signature.removeprefix('INVALID: ')}"
        if self.failure is None:
            return "Valid: every check passed."
        where = "the document" if self.failure.index is None else f"entry {self.failure.index}"
        kind = f" ({self.failure.kind})" if self.failure.kind else ""
        return f"INVALID at {where}{kind}: {self.failure.check}: {self.failure.reason}"
