"""Settings from the environment (prefix HOP_), validated once at start-up."""

import ipaddress
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DOCUMENT_TYPES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "image/png",
    "image/jpeg",
)


@dataclass(frozen=True)
class Rate:
    """`count` events per `seconds`; count 0 turns the limit off."""

    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """ "5/60" is five per minute; "off" (or "0/1") is no limit."""
        if text.strip().lower() == "off":
            return cls(0, 1.0)
        count, _, seconds = text.partition("/")
        rate = cls(int(count), float(seconds))
        if rate.count < 0 or rate.seconds <= 0:
            raise ValueError(f"not a rate: {text!r} (write COUNT/SECONDS, e.g. 5/60, or off)")
        return rate


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOP_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    redis_url: str | None = None
    redis_channel: str = "hop:events"
    max_upload_mb: int = Field(default=50, ge=1, le=2048)
    allowed_document_types: list[str] = Field(default_factory=lambda: list(DEFAULT_DOCUMENT_TYPES))
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    # The pages' language when a person has chosen none (?lang=, kept on their account and in a
    # cookie); the browser's Accept-Language is followed only when use_browser_language is on.
    default_language: str = "vi"
    use_browser_language: bool = False
    allowed_origins: list[str] = Field(default_factory=list)
    # Face engine processes (0: one per core) and how many frames may wait for them.
    face_workers: int = Field(default=0, ge=0, le=64)
    face_max_pending: int = Field(default=0, ge=0, le=1024)
    demo_password: str | None = None
    # A meeting is quorate when this share of the members with a voting right is present
    # (Vietnamese People's Councils: two thirds).
    meeting_quorum: str = "2/3"
    # Rate limits, COUNT/SECONDS or "off" (Rate; enforced by web.ratelimit): failed logins per
    # account and per client address, kiosk frames per device, ballots per voter, pairing codes
    # per client address (each /pair load makes one).
    login_account_rate: str = "5/60"
    login_address_rate: str = "20/60"
    kiosk_frame_rate: str = "10/1"
    ballot_rate: str = "10/10"
    pair_rate: str = "20/600"
    # Biometric privacy: enrolled faces older than this many days are purged (0: kept until
    # purged by hand); enrolment photos are kept (without metadata) only when opted in.
    face_retention_days: int = Field(default=365, ge=0, le=3650)
    keep_face_photos: bool = False
    # How often open device sockets are checked against revocation.
    revocation_check_seconds: float = Field(default=1.0, gt=0, le=5)
    # On SIGTERM /readyz answers 503 for this long before the sockets are told to reconnect
    # elsewhere and the process stops: the proxy's health check must see it first (web.drain).
    drain_seconds: float = Field(default=3.0, ge=0, le=120)
    # E-mail (invitations and reminders); no SMTP host means no mail and no reminder task.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    mail_from: str = "Hop <hop@localhost>"
    # The address people reach the server at, for the links in e-mails.
    public_url: str = "http://127.0.0.1:8000"
    reminder_hours: int = Field(default=24, ge=1, le=24 * 14)
    reminder_interval_seconds: int = Field(default=300, ge=5, le=24 * 3600)
    # How often open polls are checked against their deadline.
    poll_deadline_check_seconds: float = Field(default=2.0, gt=0, le=3600)
    # Tablets keep for reading offline the person's meetings in progress or starting within
    # this many days (meetings.offline).
    offline_days: int = Field(default=7, ge=0, le=60)
    # Signed records (ký số): the roots signers' certificates must chain to (PEM or DER files, or
    # folders of them: VGCA's roots, a licensed public CA's), an RFC 3161 time-stamp authority,
    # and the organisation's seal (a PKCS#12 file) for records signed by the body itself.
    trust_roots: list[Path] = Field(default_factory=list)
    timestamp_url: str | None = None
    seal_pkcs12: Path | None = None
    seal_passphrase: str = Field(default="", repr=False)
    # Operations: log lines as text or one JSON object each (web.logs); who may read /metrics
    # (web.metrics_route): these client addresses or networks without a token, others only
    # with `Authorization: Bearer <metrics_token>` (none set: nobody else).
    log_format: Literal["text", "json"] = "text"
    metrics_token: str = Field(default="", repr=False)
    metrics_allow: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])

    @field_validator("secret_key")
    @classmethod
    def _no_weak_secret(cls, value: str) -> str:
        if value and (len(value) < 32 or value in {"changeme", "secret"}):
            raise ValueError("HOP_SECRET_KEY must be at least 32 characters and not a default")
        return value

    @field_validator("metrics_token")
    @classmethod
    def _long_token(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("HOP_METRICS_TOKEN must be at least 16 characters")
        return value

    @field_validator("metrics_allow")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    "HOP_METRICS_ALLOW is a JSON list of addresses or networks, "
                    'such as ["127.0.0.1", "10.0.0.0/8"]'
                ) from None
        return [item.strip() for item in value]

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in {"vi", "en"}:
            raise ValueError("HOP_DEFAULT_LANGUAGE must be vi or en")
        return value

    @field_validator("meeting_quorum")
    @classmethod
    def _fraction(cls, value: str) -> str:
        top, _, bottom = value.partition("/")
        if not (top.isdigit() and bottom.isdigit() and 0 < int(top) <= int(bottom)):
            raise ValueError("HOP_MEETING_QUORUM must be a fraction such as 2/3 or 1/2")
        return value

    @field_validator(
        "login_account_rate", "login_address_rate", "kiosk_frame_rate", "ballot_rate", "pair_rate"
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            Rate.parse(value)
        except ValueError:
            raise ValueError("rates are COUNT/SECONDS, such as 5/60, or off") from None
        return value

    @property
    def meeting_quorum_fraction(self) -> tuple[int, int]:
        top, _, bottom = self.meeting_quorum.partition("/")
        return int(top), int(bottom)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hop.db'}"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "files"

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, else one generated on first run and kept under the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key)
        return key


def get_settings() -> Settings:
    return Settings()
