"""Secrets kept at rest: AES-256-GCM under a key derived from the app secret and a purpose.

The key is derived with HKDF-SHA256 from the application's secret key, so it lives outside the
database: a copy of the database alone reveals nothing sealed. Each purpose (a label such as
b"hop/signer-key/v1") gets a key of its own, so a blob sealed for one use never opens for another,
and each blob is bound to its owner (associated data), so rows cannot be swapped unnoticed.
Changing the secret key makes sealed data unreadable.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import ConflictError

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32
_SALT = b"hop data at rest"


class SealedDataError(ConflictError):
    """Sealed bytes that do not open: another key, another owner, or damaged bytes."""


class AtRestCipher:
    """Seals and opens bytes for one purpose, each blob bound to what it belongs to."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("an at-rest key is 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_secret(cls, secret_key: str, *, purpose: bytes) -> "AtRestCipher":
        """The cipher whose key is derived from the application's secret key and the purpose."""
        if not secret_key:
            raise ValueError("a secret key is needed to seal data at rest")
        if not purpose:
            raise ValueError("a purpose label is needed to seal data at rest")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_SALT, info=purpose)
        return cls(hkdf.derive(secret_key.encode()))

    def seal(self, plain: bytes, *, bound_to: bytes) -> bytes:
        """Version byte, random nonce, then the ciphertext and its tag."""
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT_V1 + nonce + self._aead.encrypt(nonce, plain, bound_to)

    def open(self, blob: bytes, *, bound_to: bytes) -> bytes:
        """The plain bytes; raises SealedDataError when the key, binding or bytes do not match."""
        if not blob.startswith(FORMAT_V1) or len(blob) < 1 + NONCE_BYTES:
            raise SealedDataError("Stored encrypted data has an unknown format.")
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, bound_to)
        except InvalidTag as error:
            raise SealedDataError(
                "Stored encrypted data does not decrypt: was the secret key changed?"
            ) from error
