"""Short signatures for texts that leave the server (QR codes, reply links): HMAC-SHA256 under
a key derived from the application's secret key with a label of the purpose's own, so that a
signature made for one purpose never passes for another."""

import base64
import hashlib
import hmac


class Signer:
    """Signs and checks texts for one purpose, with signatures cut to `length` bytes."""

    def __init__(self, secret_key: str, *, label: bytes, length: int, purpose: str) -> None:
        if not secret_key:
            raise ValueError(f"a secret key is needed to sign {purpose}")
        self._key = hmac.new(secret_key.encode(), label, hashlib.sha256).digest()
        self._length = length

    def signature(self, payload: str) -> str:
        """URL-safe base64 of the cut HMAC, without padding."""
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()[: self._length]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def matches(self, payload: str, signature: str) -> bool:
        """Whether the signature is this payload's (in constant time)."""
        return hmac.compare_digest(signature, self.signature(payload))
