"""What stops the verifier: a failed check (exit 1) or an unreadable input (exit 2)."""


class CheckFailed(Exception):
    """A check of §15 failed; the board walker adds the entry's index and kind."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


class Unreadable(Exception):
    """The input is not a board document at all (not JSON, not an object, no entry list)."""
