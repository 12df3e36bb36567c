"""Errors of PDF signing: a key file that does not open, a certificate that may not sign, a PDF
that cannot be signed or read. Messages are constant sentences, translated by their text."""

from core.errors import ConflictError, InvalidInputError


class KeyFileError(InvalidInputError):
    """Not a PKCS#12 file, or one without a private key or a certificate."""


class WrongPassphraseError(InvalidInputError):
    """The passphrase does not open the PKCS#12 file."""


class CertificateExpiredError(InvalidInputError):
    """The certificate is not yet valid or has expired at signing time."""


class CertificateNotTrustedError(InvalidInputError):
    """No chain leads from the certificate to a trusted root."""


class KeyUsageError(InvalidInputError):
    """The certificate allows neither digitalSignature nor nonRepudiation."""


class SigningFailedError(ConflictError):
    """pyHanko could not make the signature (time-stamp server down, field taken, ...)."""


class NotAPdfError(InvalidInputError):
    """The bytes are not a PDF that can be read."""
