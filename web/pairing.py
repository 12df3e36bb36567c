"""Pairing a screen by a short code: the screen at /pair shows a code, the secretariat enters
it on the devices page with the device's kind, name and meeting, and the screen, which holds
the claim secret in a cookie, fetches its address (with the new token) once."""

import secrets
from datetime import timedelta

from sqlmodel import Session, col, delete, select

from core.errors import InvalidInputError
from models import DevicePairing, DeviceToken, DeviceTokenCreate, Person
from models.base import as_utc, utcnow
from web.auth import issue_device_token, token_hash
from web.devices import screen_path

PAIRING_MINUTES = 10
# No 0/O, 1/I/L: the code is read off a screen across a hall and typed on a laptop.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


class PairingCodeError(InvalidInputError):
    """No screen is waiting with this code (mistyped, expired or already paired)."""


def start_pairing(*, session: Session) -> tuple[DevicePairing, str]:
    """A new waiting screen and its claim secret; forgets pairings that have expired."""
    session.exec(delete(DevicePairing).where(col(DevicePairing.expires_at) < utcnow()))
    claim = secrets.token_urlsafe(32)
    pairing = DevicePairing(
        code="".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)),
        claim_hash=token_hash(claim),
        expires_at=utcnow() + timedelta(minutes=PAIRING_MINUTES),
    )
    session.add(pairing)
    session.commit()
    return pairing, claim


def normalise_code(code: str) -> str:
    """The code as stored: capitals, without the spaces or dashes people type."""
    return "".join(char for char in code.upper() if char.isalnum())


def pair_screen(
    *, session: Session, code: str, data: DeviceTokenCreate, issuer: Person, opens: int
) -> DeviceToken:
    """Issue a device for the screen waiting with `code`, to open meeting `opens`; the screen
    fetches its address at its next poll."""
    pairing = session.get(DevicePairing, normalise_code(code))
    if pairing is None or pairing.device_id is not None or _expired(pairing):
        raise PairingCodeError("No screen is waiting with this code", field="code")
    device, token = issue_device_token(session, data=data, issuer=issuer)
    pairing.device_id = device.id
    pairing.screen_path = screen_path(device.kind, opens, token)
    session.add(pairing)
    session.commit()
    return device


def claim_screen(*, session: Session, claim: str | None) -> str | None:
    """The paired screen's address, once (the row is then deleted); None while it waits.
    Raises PairingCodeError when the claim is unknown or expired (show a new code)."""
    pairing = _by_claim(session, claim)
    if pairing is None or _expired(pairing):
        raise PairingCodeError("This pairing code has expired", field="code")
    if pairing.screen_path is None:
        return None
    path = pairing.screen_path
    session.delete(pairing)
    session.commit()
    return path


def _by_claim(session: Session, claim: str | None) -> DevicePairing | None:
    if not claim:
        return None
    query = select(DevicePairing).where(DevicePairing.claim_hash == token_hash(claim))
    return session.exec(query).first()


def _expired(pairing: DevicePairing) -> bool:
    return as_utc(pairing.expires_at) < utcnow()
