"""Errors of encrypted polls; each carries its HTTP status (see core.errors)."""

from core.errors import ConflictError, InvalidInputError, PermissionDeniedError
from voting.errors import InvalidBallotError, InvalidPollError, PollStateError


class InvalidCommitteeError(InvalidPollError):
    """The vote-counting committee or its threshold cannot be used."""


class BoardNotReadyError(PollStateError):
    """The trustees have not finished setting up the poll's key."""


class NotEncryptedPollError(ConflictError):
    pass


class NotTrusteeError(PermissionDeniedError):
    pass


class InvalidBoardEntryError(InvalidInputError):
    """An entry a trustee posted fails a check of the protocol: it is not appended."""


class BoardEntryRefusedError(ConflictError):
    """The entry is well formed but does not fit the board now (phase, or posted already)."""


class InvalidEncryptedBallotError(InvalidBallotError):
    pass


class TrackingCodeUsedError(ConflictError):
    pass
