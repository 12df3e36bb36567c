"""The one error of the protocol library: a failed check, named as in the specification.

It is deliberately not a HopError: its detail is a technical English line for verifiers,
trustees' devices and logs, not a message for people. The service that verifies a ballot
for a voter catches it and raises its own translated domain error.
"""


class ProtocolError(Exception):
    """A value or proof that hop-eb-v1 rejects; `check` names the failed check and `entry`,
    when a board was being read, the index of the entry that failed it."""

    def __init__(self, check: str, detail: str = "", *, entry: int | None = None) -> None:
        super().__init__(f"{check}: {detail}" if detail else check)
        self.check = check
        self.detail = detail
        self.entry = entry
