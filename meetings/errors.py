"""Errors of the meetings domain; each carries its HTTP status (see core.errors)."""

from core.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    UnsupportedMediaTypeError,
)


class PersonNotFoundError(NotFoundError):
    pass


class MeetingNotFoundError(NotFoundError):
    pass


class AgendaItemNotFoundError(NotFoundError):
    pass


class InvitationNotFoundError(NotFoundError):
    pass


class DocumentNotFoundError(NotFoundError):
    pass


class DuplicateUsernameError(ConflictError):
    pass


class AlreadyInvitedError(ConflictError):
    pass


class StatusTransitionError(ConflictError):
    pass


class MeetingStateError(ConflictError):
    """The meeting's status (or its final minutes) does not allow this now (meetings.lifecycle)."""


class NotAllowedError(PermissionDeniedError):
    pass


class FileTooLargeError(PayloadTooLargeError):
    pass


class FileTypeNotAllowedError(UnsupportedMediaTypeError):
    pass


class InvalidDataError(InvalidInputError):
    pass


class UnsafeDocumentError(InvalidInputError):
    """A document with active content (scripts, launch actions, embedded files)."""


class DraftTextError(InvalidInputError):
    """A draft whose text cannot be split into articles (no text layer, or no article)."""


class DraftStructureError(InvalidInputError):
    """A draft's structure that does not hold together (positions, parents, lengths)."""
