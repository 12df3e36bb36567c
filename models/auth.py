"""Login sessions and revocable device tokens; only hashes of secrets are stored."""

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import DateTime, String
from sqlmodel import Field, SQLModel

from models.base import as_utc_or_none, utcnow
from models.text import StorableText


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_session"
    token_hash: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))


class DeviceKind(StrEnum):
    kiosk = "kiosk"
    projector = "projector"


class DeviceTokenBase(SQLModel):
    name: str = Field(min_length=1, max_length=120)
    kind: DeviceKind = Field(sa_type=String(16))
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", ondelete="CASCADE")


class DeviceToken(DeviceTokenBase, table=True):
    __tablename__ = "device_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # When the device last opened a page or a socket; written at most once a minute.
    last_seen_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class DeviceTokenCreate(DeviceTokenBase, StorableText):
    pass


class DeviceTokenPublic(DeviceTokenBase):
    id: int
    created_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None = None

    _utc_times = field_validator("created_at", "revoked_at", "last_seen_at")(as_utc_or_none)


class DeviceTokenIssued(DeviceTokenPublic):
    token: str


class DevicePairing(SQLModel, table=True):
    """A screen waiting a few minutes to be paired: it shows `code`, the secretariat enters it
    on the devices page, and the screen (holding the claim secret) fetches its address once."""

    __tablename__ = "device_pairing"
    code: str = Field(primary_key=True, max_length=16)
    claim_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    # Set when paired; the address carries the new token until the screen fetches it.
    device_id: int | None = Field(default=None, foreign_key="device_token.id", ondelete="CASCADE")
    screen_path: str | None = Field(default=None, max_length=400)
