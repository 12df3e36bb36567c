"""Who is on the other end of an open socket and what let them in: the types the app's state
and the socket handlers (web.realtime) share."""

from dataclasses import dataclass
from typing import Protocol

from models import Person
from web.auth import token_hash


@dataclass(frozen=True)
class Viewer:
    """Who is on the other end: a person (by id) or a device."""

    person: Person | None
    device_id: int | None
    is_manager: bool

    @property
    def label(self) -> str:
        return f"person:{self.person.id}" if self.person else f"device:{self.device_id}"


@dataclass(frozen=True)
class Credential:
    """What authenticated a socket: a device token (by id) or a login (by its token's hash)."""

    kind: str  # "device" or "session"
    key: str

    @classmethod
    def device(cls, device_id: int) -> "Credential":
        return cls("device", str(device_id))

    @classmethod
    def session(cls, token: str) -> "Credential":
        return cls("session", token_hash(token))


class Revocable(Protocol):
    def revoke(self) -> None: ...
