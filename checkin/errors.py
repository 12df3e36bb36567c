"""Errors of the check-in domain; each carries its HTTP status (see core.errors)."""

from core.errors import (
    ConflictError,
    HopError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ServiceBusyError,
)
from core.images import (
    EmptyImageError as EmptyImageError,
)
from core.images import (
    ImageError as ImageError,
)
from core.images import (
    ImageTooLargeError as ImageTooLargeError,
)
from core.images import (
    NotAnImageError as NotAnImageError,
)
from core.images import (
    TruncatedImageError as TruncatedImageError,
)
from meetings.errors import MeetingStateError


class FaceQualityError(InvalidInputError):
    """An enrolment photo without exactly one usable face; the class name says which problem."""


class NoFaceFoundError(FaceQualityError):
    pass


class MultipleFacesError(FaceQualityError):
    pass


class FaceTooSmallError(FaceQualityError):
    pass


class FaceTooBlurryError(FaceQualityError):
    pass


class ConsentRequiredError(ConflictError):
    """Biometric data may be stored only after the person's consent is recorded."""


class FaceNotFoundError(NotFoundError):
    pass


class PersonNotFoundError(NotFoundError):
    pass


class MeetingNotFoundError(NotFoundError):
    pass


class NotInvitedError(PermissionDeniedError):
    pass


class MeetingNotOpenError(MeetingStateError):
    """The meeting's lifecycle refuses attendance changes (closed, cancelled, minutes final)."""


class EmbeddingDecryptionError(HopError):
    """A stored embedding does not decrypt with the current key (was the secret key changed?)."""

    status_code = 500


class FacePoolBusyError(ServiceBusyError):
    pass


class FacePoolClosedError(ServiceBusyError):
    pass


class InvalidThresholdsError(InvalidInputError):
    pass


class NotOfferedError(ConflictError):
    """A kiosk confirmation for a name that was not offered for that face."""
