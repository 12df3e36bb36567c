"""Small helpers shared by every table module."""

from datetime import UTC, datetime

# The largest id (or count) both databases store: a 64-bit signed integer. Input beyond it is
# refused as invalid, over HTTP and over the websockets alike.
MAX_ID = 2**63 - 1


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; treat them as the UTC they were stored as."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def as_utc_or_none(value: datetime | None) -> datetime | None:
    """A validator for public schemas, so that the API never shows a time without its zone."""
    return None if value is None else as_utc(value).astimezone(UTC)
