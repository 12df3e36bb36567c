"""Polls (votes and opinion polls) and the proxies that let one delegate vote for another."""

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import field_validator, model_validator
from sqlalchemy import JSON, DateTime, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import MAX_ID, as_utc_or_none, utcnow
from models.text import StorableText


class PollKind(StrEnum):
    yes_no = "yes_no"  # yes / no / abstain
    single = "single"  # one option of several
    multiple = "multiple"  # between min_choices and max_choices options
    opinion = "opinion"  # free text, optionally with agree / disagree


class PollStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"
    published = "published"
    cancelled = "cancelled"


class Eligibility(StrEnum):
    present = "present"  # a voting right and checked in
    voting_right = "voting_right"  # a voting right only: remote and between-meeting polls


class MajorityRule(StrEnum):
    simple = "simple"  # yes > no
    absolute_cast = "absolute_cast"  # more than half of the valid ballots
    absolute_present = "absolute_present"  # more than half of the members present
    absolute_members = "absolute_members"  # more than half of all members with a voting right
    two_thirds_cast = "two_thirds_cast"  # at least two thirds of the valid ballots
    two_thirds_present = "two_thirds_present"
    two_thirds_members = "two_thirds_members"
    plurality = "plurality"  # the most votes win (choices)


class Verdict(StrEnum):
    adopted = "adopted"
    rejected = "rejected"
    elected = "elected"
    tie = "tie"


YES_NO_OPTIONS: list[dict[str, str]] = [
    {"id": "yes", "label": "Yes"},
    {"id": "no", "label": "No"},
]
ABSTAIN = "abstain"
_FRACTION = re.compile(r"^\s*([1-9]\d{0,3})\s*/\s*([1-9]\d{0,3})\s*$")
_THRESHOLD_RULES = frozenset(MajorityRule) - {MajorityRule.simple, MajorityRule.plurality}


class PollFields(SQLModel):
    """What the chair or the secretariat sets on a poll while it is a draft."""

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000)
    agenda_item_id: int | None = Field(
        default=None, foreign_key="agenda_item.id", ondelete="SET NULL"
    )
    document_id: int | None = Field(default=None, foreign_key="document.id", ondelete="SET NULL")
    kind: PollKind = Field(default=PollKind.yes_no, sa_type=String(16))
    min_choices: int = Field(default=1, ge=0, le=50)
    max_choices: int = Field(default=1, ge=1, le=50)
    opinion_agree: bool = False  # opinion polls: ask agree / disagree as well as text
    secret: bool = False
    eligibility: Eligibility = Field(default=Eligibility.present, sa_type=String(16))
    # At least this many, or this fraction ("1/2", "2/3"), of the members with a voting
    # right must be present when the poll opens.
    quorum_count: int | None = Field(default=None, ge=1, le=100_000)
    quorum_fraction: str | None = Field(default=None, max_length=16)
    majority_rule: MajorityRule | None = Field(default=None, sa_type=String(24))
    allow_change: bool = False  # named polls only: change one's ballot while the poll is open
    deadline: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Each ballot needs the voter's face matched by their tablet's camera first (voting.face_check).
    confirm_face: bool = False


class Poll(PollFields, table=True):
    __tablename__ = "poll"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    options: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    document_version: int | None = None
    document_sha256: str | None = Field(default=None, max_length=64)
    status: PollStatus = Field(default=PollStatus.draft, sa_type=String(16), index=True)
    # A random value per poll: nonces and receipts of secret ballots are derived from it.
    salt: str = Field(max_length=64)
    present_at_open: int | None = None
    quorum_required: int | None = None
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # An encrypted secret ballot (hop-eb-v1): tablets encrypt, trustees decrypt the sums.
    encrypted: bool = False
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    opened_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancelled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PollCreate(PollFields, StorableText):
    """A new poll: choice polls list their options' labels; yes/no polls have theirs."""

    options: list[str] = Field(default_factory=list, max_length=50)
    document_version: int | None = Field(default=None, ge=1)

    @field_validator("title", "description", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> "PollCreate":
        check_poll_fields(self)
        return self


class PollUpdate(StorableText):
    """Changes to a draft; what is not given stays."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    agenda_item_id: int | None = None
    document_id: int | None = None
    document_version: int | None = Field(default=None, ge=1)
    kind: PollKind | None = None
    options: list[str] | None = Field(default=None, max_length=50)
    min_choices: int | None = Field(default=None, ge=0, le=50)
    max_choices: int | None = Field(default=None, ge=1, le=50)
    opinion_agree: bool | None = None
    secret: bool | None = None
    eligibility: Eligibility | None = None
    quorum_count: int | None = Field(default=None, ge=1, le=100_000)
    quorum_fraction: str | None = Field(default=None, max_length=16)
    majority_rule: MajorityRule | None = None
    allow_change: bool | None = None
    deadline: datetime | None = None
    confirm_face: bool | None = None


def parse_fraction(text: str) -> tuple[int, int]:
    """'2/3' → (2, 3); a fraction of members must lie in (0, 1]."""
    match = _FRACTION.match(text)
    if match is None:
        raise ValueError("quorum_fraction must look like 1/2 or 2/3")
    numerator, denominator = int(match[1]), int(match[2])
    if numerator > denominator:
        raise ValueError("quorum_fraction cannot exceed 1")
    return numerator, denominator


def default_rule(kind: PollKind) -> MajorityRule | None:
    """Yes/no polls: simple majority; choices: plurality; opinions have no verdict."""
    return {
        PollKind.yes_no: MajorityRule.simple,
        PollKind.single: MajorityRule.plurality,
        PollKind.multiple: MajorityRule.plurality,
    }.get(kind)


def check_poll_fields(data: PollCreate) -> None:
    """Raise ValueError when the fields contradict each other; fill in defaults."""
    if data.quorum_fraction is not None:
        numerator, denominator = parse_fraction(data.quorum_fraction)
        data.quorum_fraction = f"{numerator}/{denominator}"
        if data.quorum_count is not None:
            raise ValueError("Give quorum_count or quorum_fraction, not both")
    if data.secret and data.allow_change:
        raise ValueError("A secret ballot cannot be changed once cast")
    _check_options(data)
    _check_rule(data)


def _check_options(data: PollCreate) -> None:
    labels = [label.strip() for label in data.options]
    if data.kind in (PollKind.single, PollKind.multiple):
        if len(labels) < 2:
            raise ValueError("A choice poll needs at least two options")
        if any(not label or len(label) > 300 for label in labels):
            raise ValueError("Every option needs a label of 1 to 300 characters")
        if len({label.casefold() for label in labels}) != len(labels):
            raise ValueError("Two options have the same label")
    elif labels:
        raise ValueError(f"A {data.kind.value} poll takes no options")
    data.options = labels
    if data.kind == PollKind.single:
        data.min_choices = data.max_choices = 1
    elif data.kind == PollKind.multiple:
        if not data.min_choices <= data.max_choices <= len(labels):
            raise ValueError("Need min_choices ≤ max_choices ≤ the number of options")
    if data.opinion_agree and data.kind != PollKind.opinion:
        raise ValueError("opinion_agree applies to opinion polls only")


def _check_rule(data: PollCreate) -> None:
    if data.majority_rule is None:
        data.majority_rule = default_rule(data.kind)
        return
    if data.kind == PollKind.opinion:
        # Agree / disagree can decide (a written consultation's question); free text cannot.
        if not data.opinion_agree:
            raise ValueError("An opinion poll without agree / disagree has no majority rule")
        if data.majority_rule == MajorityRule.plurality:
            raise ValueError("Agree / disagree takes the simple, absolute or two-thirds rule")
        return
    if data.kind == PollKind.yes_no and data.majority_rule == MajorityRule.plurality:
        raise ValueError("A yes/no poll takes the simple, absolute or two-thirds rule")
    if data.kind != PollKind.yes_no and data.majority_rule == MajorityRule.simple:
        raise ValueError("A choice poll takes plurality, absolute or two-thirds")


def is_threshold_rule(rule: MajorityRule | None) -> bool:
    return rule in _THRESHOLD_RULES


def option_rows(kind: PollKind, labels: list[str]) -> list[dict[str, str]]:
    """The stored options: yes/no have fixed ids; choices are numbered from 1."""
    if kind == PollKind.yes_no:
        return [dict(option) for option in YES_NO_OPTIONS]
    return [{"id": str(n), "label": label} for n, label in enumerate(labels, start=1)]


class PollPublic(SQLModel):
    """A poll as screens show it: the ballot definition and where it stands."""

    id: int
    meeting_id: int
    title: str
    description: str
    agenda_item_id: int | None
    document_id: int | None
    document_version: int | None
    document_sha256: str | None
    kind: PollKind
    options: list[dict[str, str]]
    min_choices: int
    max_choices: int
    opinion_agree: bool
    secret: bool
    eligibility: Eligibility
    quorum_count: int | None
    quorum_fraction: str | None
    majority_rule: MajorityRule | None
    allow_change: bool
    deadline: datetime | None
    confirm_face: bool = False
    encrypted: bool = False
    status: PollStatus
    opened_at: datetime | None
    closed_at: datetime | None
    published_at: datetime | None

    # SQLite gives times back without their zone: they are UTC, and the API says so.
    _utc_times = field_validator("deadline", "opened_at", "closed_at", "published_at")(
        as_utc_or_none
    )


class QuorumStatus(SQLModel):
    """Shown to the chair before opening: is the quorum there right now?"""

    members: int
    present: int
    required: int
    met: bool
    # "poll" when the poll sets its own quorum, "meeting" when the meeting's applies.
    basis: str = "poll"
    rule: str = ""  # the quorum as written: "2/3" or a count such as "4"


class PermitMethod(StrEnum):
    face = "face"  # the tablet's camera matched the voter's own enrolled face
    desk = "desk"  # the chair let them vote after the desk checked them


class VotePermit(SQLModel, table=True):
    """A one-time permission to cast one ballot in a poll that asks to confirm the face.

    It belongs with who voted, never with what: in a secret poll it is consumed in the
    transaction that writes the SecretVoter row, and nothing of it reaches the SecretChoice.
    Face permits are claimed with a random token (only its hash is kept); a desk permit has
    no token and is taken by the voter's next ballot.
    """

    __tablename__ = "vote_permit"
    __table_args__ = (Index("ix_vote_permit_poll_voter", "poll_id", "voter_id"),)
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", ondelete="CASCADE")
    voter_id: int = Field(foreign_key="person.id", ondelete="CASCADE")  # whose ballot
    # Whose face was checked: the voter, or the proxy holder who casts for them.
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    method: PermitMethod = Field(sa_type=String(8))
    distance: float | None = None
    granted_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    reason: str = Field(default="", max_length=500)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class DeskPermitCreate(StorableText):
    """The chair lets a member vote after the desk checked who they are: why, for the record."""

    voter_id: int = Field(ge=1, le=MAX_ID)
    reason: str = Field(min_length=1, max_length=500)

    @field_validator("reason", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class ProxyBase(SQLModel):
    holder_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    represented_id: int = Field(foreign_key="person.id", ondelete="CASCADE")


class Proxy(ProxyBase, table=True):
    """The holder votes for the represented member, whose ballot counts while the holder
    is present."""

    __tablename__ = "proxy"
    __table_args__ = (
        UniqueConstraint("meeting_id", "represented_id", name="uq_proxy_represented"),
    )
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ProxyCreate(ProxyBase):
    @model_validator(mode="after")
    def _two_people(self) -> "ProxyCreate":
        if self.holder_id == self.represented_id:
            raise ValueError("A member cannot hold their own proxy")
        return self


class ProxyPublic(ProxyBase):
    id: int
    meeting_id: int
    holder_name: str = ""
    represented_name: str = ""
