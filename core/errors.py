"""Domain errors carry their HTTP status; the web layer renders them in one place."""


class HopError(Exception):
    """Base of every domain error: a message for people and the status that fits it."""

    status_code = 400

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFoundError(HopError):
    status_code = 404


class PermissionDeniedError(HopError):
    status_code = 403


class ConflictError(HopError):
    status_code = 409


class InvalidInputError(HopError):
    status_code = 422


class PayloadTooLargeError(HopError):
    status_code = 413


class UnsupportedMediaTypeError(HopError):
    status_code = 415


class ServiceBusyError(HopError):
    status_code = 503
