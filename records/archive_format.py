"""The layout of a meeting archive's meeting.json: which tables it holds, which of their
columns point at which other rows, and how rows are checked when they come back in.

Rows keep the ids they had where they were exported; an import gives them new ids and maps
every reference through the `Maps` it builds as it goes."""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model, field_validator
from sqlmodel import SQLModel

from core.errors import InvalidInputError
from models import (
    AgendaItem,
    AttendanceEntry,
    Ballot,
    CheckinPolicy,
    Document,
    DocumentVersion,
    Event,
    Invitation,
    Poll,
    Proxy,
    ReadReceipt,
    SecretChoice,
    SecretVoter,
    SpeechRequest,
)
from models.minutes import Minutes
from models.person import _USERNAME_PATTERN
from models.text import refuse_nul
from records.archive_json import Maps, remap, remap_result
from voting.secrecy import new_salt

FORMAT = "hop-meeting-archive"
FORMAT_VERSION = 1
USERNAME = re.compile(_USERNAME_PATTERN)
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ArchiveError(InvalidInputError):
    """The archive is not one Hop can read back: a wrong format, a bad hash, a bad row."""


@dataclass(frozen=True)
class Kind:
    """One table in meeting.json under `key`."""

    key: str
    table: type[SQLModel]
    # The rows exported are those whose `parent` column holds an id of the named map.
    parent: tuple[str, str]
    refs: dict[str, str] = field(default_factory=dict)  # column → map of the row it points at
    own: str | None = None  # the map this table's integer ids go into
    drop: frozenset[str] = frozenset()  # columns never exported
    order: tuple[str, ...] = ("id",)
    # Fills what an import must set itself (new salts, remapped JSON) before the insert.
    adjust: Callable[[dict[str, Any], Maps], None] | None = None
    # Fixes what needs the row's own new id, once it has one.
    settle: Callable[[Any, Maps], None] | None = None


def _new_salt(data: dict[str, Any], maps: Maps) -> None:
    # A fresh salt: the old one stays where it was, so no nonce from there works here.
    data["salt"] = new_salt()


def _remap_result(poll: Poll, maps: Maps) -> None:
    poll.result = remap_result(poll.result, maps)


def _unknown_nonce(data: dict[str, Any], maps: Maps) -> None:
    # The hash of a nonce nobody holds: the archive keeps who voted, never how to match it.
    data["nonce_hash"] = new_salt() * 2


def _remap_event(data: dict[str, Any], maps: Maps) -> None:
    data["data"] = remap(data.get("data") or {}, maps)


MEETING = ("meeting_id", "meeting")
BY_PERSON = {"created_by": "person"}
KINDS: tuple[Kind, ...] = (
    Kind("agenda", AgendaItem, MEETING, own="agenda", order=("position", "id")),
    Kind("invitations", Invitation, MEETING, refs={"person_id": "person"}),
    Kind(
        "attendance",
        AttendanceEntry,
        MEETING,
        refs={"person_id": "person", "operator_id": "person"},
    ),
    Kind("checkin_policy", CheckinPolicy, MEETING, order=("meeting_id",)),
    Kind(
        "documents",
        Document,
        MEETING,
        refs={"agenda_item_id": "agenda", **BY_PERSON},
        own="document",
    ),
    Kind(
        "document_versions",
        DocumentVersion,
        ("document_id", "document"),
        refs={"document_id": "document", "uploaded_by": "person", "blob_sha256": "blob"},
        own="version",
        order=("document_id", "number"),
    ),
    Kind(
        "read_receipts",
        ReadReceipt,
        ("version_id", "version"),
        refs={"version_id": "version", "person_id": "person"},
    ),
    Kind(
        "polls",
        Poll,
        MEETING,
        refs={"agenda_item_id": "agenda", "document_id": "document", **BY_PERSON},
        own="poll",
        drop=frozenset({"salt"}),
        adjust=_new_salt,
        settle=_remap_result,
    ),
    Kind(
        "proxies",
        Proxy,
        MEETING,
        refs={"holder_id": "person", "represented_id": "person", **BY_PERSON},
    ),
    Kind(
        "ballots",
        Ballot,
        ("poll_id", "poll"),
        refs={"poll_id": "poll", "voter_id": "person", "cast_by_id": "person"},
        drop=frozenset({"nonces"}),
    ),
    Kind(
        "secret_voters",
        SecretVoter,
        ("poll_id", "poll"),
        refs={"poll_id": "poll", "voter_id": "person", "cast_by_id": "person"},
        drop=frozenset({"id", "nonce_hash"}),
        order=("poll_id", "voter_id"),
        adjust=_unknown_nonce,
    ),
    Kind(
        "secret_choices",
        SecretChoice,
        ("poll_id", "poll"),
        refs={"poll_id": "poll"},
        drop=frozenset({"id"}),
        order=("poll_id", "receipt"),
    ),
    Kind(
        "speakers",
        SpeechRequest,
        MEETING,
        refs={"agenda_item_id": "agenda", "person_id": "person"},
        own="speech",
    ),
    Kind(
        "minutes",
        Minutes,
        MEETING,
        refs={"created_by": "person", "finalised_by": "person"},
        order=("version",),
    ),
    Kind("events", Event, MEETING, order=("seq",), adjust=_remap_event),
)
PERSON_DROP = frozenset({"password_hash", "unit_id"})
MEETING_REFS = {"chair_id": "person", "created_by": "person"}


@functools.cache
def row_schema(table: type[SQLModel], drop: frozenset[str] = frozenset()) -> type[BaseModel]:
    """A plain pydantic model of the table's columns, with their types and limits; no text may
    hold a NUL (what the API refuses on every database, an import refuses too)."""
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in table.model_fields.items()
        if name not in drop
    }
    config = ConfigDict(extra="ignore")
    validators = {"_no_nul": field_validator("*")(refuse_nul)}
    return create_model(
        f"Archived{table.__name__}", __config__=config, __validators__=validators, **fields
    )


def check_row(
    table: type[SQLModel],
    raw: Any,
    where: str,
    drop: frozenset[str] = frozenset(),
    *,
    rules: type[BaseModel] | None = None,
) -> dict[str, Any]:
    """The row's values, typed and within the table's limits, or ArchiveError. `rules`, the
    schema the API creates such rows with, checks what it checks too (a meeting's years)."""
    if not isinstance(raw, dict):
        raise ArchiveError(f"{where}: a row must be an object")
    try:
        row = row_schema(table, drop).model_validate(raw)
        if rules is not None:
            rules.model_validate({key: raw[key] for key in rules.model_fields if key in raw})
    except ValidationError as error:
        problem = error.errors()[0]
        place = ".".join(str(part) for part in problem["loc"])
        raise ArchiveError(f"{where}: {place}: {problem['msg']}") from error
    return row.model_dump()


def rows_of(document: dict[str, Any], key: str) -> list[Any]:
    """The list of rows under key (missing means none)."""
    rows = document.get(key, [])
    if not isinstance(rows, list):
        raise ArchiveError(f"{key} must be a list")
    return rows
