"""Errors of the check-in domain; each carries its HTTP status (see models.errors)."""

from models.errors import (
    ConflictError,
    HopError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ServiceBusyError,
    UnsupportedMediaTypeError,
)


class ImageError(InvalidInputError):
    """An uploaded or streamed image that cannot be used."""


class EmptyImageError(ImageError):
    pass


class NotAnImageError(UnsupportedMediaTypeError):
    """The bytes are not a JPEG or PNG image."""


class TruncatedImageError(ImageError):
    pass


class ImageTooLargeError(PayloadTooLargeError):
    """Too many bytes or too many pixels."""


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


class MeetingNotOpenError(ConflictError):
    """Attendance cannot change in a closed or cancelled meeting."""


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
