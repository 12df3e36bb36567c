"""Encryption of face embeddings at rest: AES-256-GCM with a key derived from the app secret.

The key is derived with HKDF-SHA256 from the application's secret key (settings), so it lives
outside the database: a copy of the database alone reveals no embedding. Each ciphertext is
bound to its person (associated data), so rows cannot be swapped between people unnoticed.
Changing the secret key makes stored embeddings unreadable: re-enrol, or keep the old key.
"""

import os

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from checkin.engine import EMBEDDING_SIZE, Embeddings
from checkin.errors import EmbeddingDecryptionError

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12
_SALT = b"hop face embeddings"
_INFO = b"hop/face-embedding/aes-256-gcm/v1"


class FaceCipher:
    """Encrypts and decrypts float32 embeddings for one person at a time."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("a face key is 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_secret(cls, secret_key: str) -> "FaceCipher":
        """The cipher whose key is derived from the application's secret key."""
        if not secret_key:
            raise ValueError("a secret key is needed to encrypt face embeddings")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO)
        return cls(hkdf.derive(secret_key.encode()))

    def encrypt(self, embedding: Embeddings, *, person_id: int) -> bytes:
        """Version byte, random nonce, then the ciphertext and its tag."""
        plain = np.asarray(embedding, dtype="<f4").reshape(EMBEDDING_SIZE).tobytes()
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT_V1 + nonce + self._aead.encrypt(nonce, plain, _aad(person_id))

    def decrypt(self, blob: bytes, *, person_id: int) -> Embeddings:
        """The float32 embedding; raises when the key, the person or the bytes do not match."""
        if not blob.startswith(FORMAT_V1) or len(blob) < 1 + NONCE_BYTES:
            raise EmbeddingDecryptionError("A stored face embedding has an unknown format")
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, sealed, _aad(person_id))
        except InvalidTag as error:
            raise EmbeddingDecryptionError(
                "A stored face embedding does not decrypt: was the secret key changed?"
            ) from error
        return np.frombuffer(plain, dtype="<f4").astype(np.float32)


def _aad(person_id: int) -> bytes:
    return f"person:{person_id}".encode()
