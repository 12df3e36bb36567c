"""Errors of the voting domain; each carries its HTTP status (see core.errors)."""

from core.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError


class PollNotFoundError(NotFoundError):
    pass


class ProxyNotFoundError(NotFoundError):
    pass


class PollStateError(ConflictError):
    """The poll is not in a state that allows this step."""


class PollNotOpenError(PollStateError):
    pass


class PollClosedError(PollNotOpenError):
    pass


class DeadlinePassedError(PollNotOpenError):
    pass


class QuorumNotMetError(ConflictError):
    pass


class AlreadyVotedError(ConflictError):
    pass


class ResultNotAvailableError(ConflictError):
    pass


class ProxyConflictError(ConflictError):
    pass


class NotEligibleError(PermissionDeniedError):
    """The voter may not vote in this poll; the subclass says why."""


class NotInvitedError(NotEligibleError):
    pass


class NoVotingRightError(NotEligibleError):
    pass


class NotCheckedInError(NotEligibleError):
    pass


class NotProxyHolderError(NotEligibleError):
    pass


class NotAllowedError(PermissionDeniedError):
    pass


class InvalidBallotError(InvalidInputError):
    pass


class InvalidPollError(InvalidInputError):
    pass


class FaceCheckRequiredError(PermissionDeniedError):
    """A poll that confirms the face takes a ballot only with a valid one-time permit."""


class FaceCheckNotAskedError(ConflictError):
    pass


class NoEnrolledFaceError(ConflictError):
    pass


class FaceCheckFailedError(InvalidInputError):
    """A face check refused; the subclass says why (no face, several faces, liveness)."""


class NoFaceInFrameError(FaceCheckFailedError):
    pass


class SeveralFacesError(FaceCheckFailedError):
    pass


class LivenessFailedError(FaceCheckFailedError):
    pass


class FaceMismatchError(PermissionDeniedError):
    """The face is not the voter's own."""


class RoundNotFoundError(NotFoundError):
    pass


class RoundStateError(ConflictError):
    """The comment round is not in a state that allows this step."""


class NotRoundMemberError(PermissionDeniedError):
    pass


class InvalidCommentError(InvalidInputError):
    pass
