"""Drafts for comments (dự thảo lấy ý kiến): a document version's structure, comment rounds,
the members' responses, the drafting body's answers, and the consolidated report's versions.

The structure is kept per document version as an ordered list of sections (chapters, articles,
clauses, points); a section's parent is named by its position, so a corrected structure is
written as a whole. In an anonymous round a response carries no person: its author key is a
keyed hash of the member (voting.rounds), so a member can amend it and nobody reading the
tables can tell whose it is; who has answered is kept apart, in round_member.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import utcnow

ROUND_TITLE_MAX = 300
COMMENT_TEXT_MAX = 10_000
SECTION_TEXT_MAX = 50_000


class SectionKind(StrEnum):
    chapter = "chapter"  # Chương I
    part = "part"  # Mục 1 (within a chapter)
    article = "article"  # Điều 1.
    clause = "clause"  # 1. (Khoản)
    point = "point"  # a) (Điểm)


class DraftSection(SQLModel, table=True):
    __tablename__ = "draft_section"
    __table_args__ = (UniqueConstraint("version_id", "position", name="uq_draft_section_pos"),)
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="document_version.id", ondelete="CASCADE", index=True)
    position: int = Field(ge=0)  # 0, 1, 2 ... in reading order
    parent_position: int | None = None  # the enclosing section (an article's chapter ...)
    kind: SectionKind = Field(sa_type=String(16))
    number: str = Field(default="", max_length=16)  # "I", "12", "3", "a"
    label: str = Field(default="", max_length=60)  # "Chương I", "Điều 12", "Khoản 3", "Điểm a"
    title: str = Field(default="", max_length=1000)  # a chapter's or article's heading
    text: str = Field(default="", sa_type=Text)  # its own words, without its children's
    page: int | None = None  # the page it starts on, when known


class RoundStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class RoundRole(StrEnum):
    member = "member"  # comments on the draft
    drafter = "drafter"  # the drafting body (cơ quan soạn thảo): sees all, answers


class CommentRound(SQLModel, table=True):
    __tablename__ = "comment_round"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", index=True)
    version_id: int = Field(foreign_key="document_version.id", ondelete="CASCADE")
    title: str = Field(max_length=ROUND_TITLE_MAX)
    instructions: str = Field(default="", max_length=5000)
    anonymous: bool = False
    deadline: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), index=True)
    status: RoundStatus = Field(default=RoundStatus.draft, sa_type=String(16), index=True)
    opened_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class RoundMember(SQLModel, table=True):
    __tablename__ = "round_member"
    __table_args__ = (UniqueConstraint("round_id", "person_id", name="uq_round_member"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="comment_round.id", ondelete="CASCADE", index=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    role: RoundRole = Field(default=RoundRole.member, sa_type=String(16))
    submitted: bool = False  # has submitted at least once (who has not answered yet)
    reminded_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ResponseStatus(StrEnum):
    draft = "draft"  # saved, not submitted: only its author sees it
    submitted = "submitted"


class RoundResponse(SQLModel, table=True):
    """One revision of a member's response: a saved draft, or a submission (kept for good)."""

    __tablename__ = "round_response"
    __table_args__ = (
        UniqueConstraint("round_id", "author_key", "revision", name="uq_round_response_rev"),
    )
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="comment_round.id", ondelete="CASCADE", index=True)
    author_key: str = Field(max_length=64, index=True)  # "p:ID", or a keyed hash (anonymous)
    # Named rounds only: whose response this is (None in an anonymous round).
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    revision: int = Field(default=1, ge=1)  # 1 = first submission; a draft takes the next
    status: ResponseStatus = Field(default=ResponseStatus.draft, sa_type=String(16))
    current: bool = True  # the author's latest submission (or their draft)
    saved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Stance(StrEnum):
    agree = "agree"  # tán thành
    disagree = "disagree"  # không tán thành
    amend = "amend"  # đề nghị sửa (other wording)
    general = "general"  # a comment on the whole draft


class RoundComment(SQLModel, table=True):
    __tablename__ = "round_comment"
    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="round_response.id", ondelete="CASCADE", index=True)
    round_id: int = Field(foreign_key="comment_round.id", ondelete="CASCADE", index=True)
    section_position: int | None = None  # None: on the whole draft
    stance: Stance = Field(sa_type=String(16))
    text: str = Field(default="", sa_type=Text)
    proposed_text: str = Field(default="", sa_type=Text)


class AnswerVerdict(StrEnum):
    accepted = "accepted"  # tiếp thu
    explained = "explained"  # giải trình
    not_accepted = "not_accepted"  # không tiếp thu
    merged = "merged"  # answered together with another comment


class RoundAnswer(SQLModel, table=True):
    __tablename__ = "round_answer"
    __table_args__ = (UniqueConstraint("comment_id", name="uq_round_answer_comment"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="comment_round.id", ondelete="CASCADE", index=True)
    comment_id: int = Field(foreign_key="round_comment.id", ondelete="CASCADE")
    verdict: AnswerVerdict = Field(sa_type=String(16))
    text: str = Field(default="", sa_type=Text)
    merged_into: int | None = Field(
        default=None, foreign_key="round_comment.id", ondelete="SET NULL"
    )
    answered_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    answered_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class RoundReport(SQLModel, table=True):
    """A version of the consolidated report (bảng tổng hợp, tiếp thu, giải trình): the body it
    was printed from; the final one carries the sha256 of that body, like final minutes."""

    __tablename__ = "round_report"
    __table_args__ = (UniqueConstraint("round_id", "version", name="uq_round_report_version"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="comment_round.id", ondelete="CASCADE", index=True)
    version: int = Field(ge=1)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    final: bool = False
    sha256: str | None = Field(default=None, max_length=64)
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
