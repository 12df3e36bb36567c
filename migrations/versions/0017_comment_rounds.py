"""meetings: drafts for comments - structure per version, comment rounds, answers, reports

A document version split into chapters, articles, clauses and points (draft_section); a
round of comments on it (comment_round) with its members and drafting body (round_member);
each member's responses, every submission kept (round_response, round_comment); the drafting
body's answers (round_answer) and the consolidated report's versions (round_report).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 13:01:43.582463
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comment_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("instructions", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["document_version.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("comment_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_round_deadline"), ["deadline"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_comment_round_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_comment_round_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_comment_round_status"), ["status"], unique=False)

    op.create_table(
        "draft_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("parent_position", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["version_id"], ["document_version.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "position", name="uq_draft_section_pos"),
    )
    with op.batch_alter_table("draft_section", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_draft_section_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "round_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("submitted", sa.Boolean(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["comment_round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "person_id", name="uq_round_member"),
    )
    with op.batch_alter_table("round_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_member_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_round_member_round_id"), ["round_id"], unique=False)

    op.create_table(
        "round_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["round_id"], ["comment_round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "version", name="uq_round_report_version"),
    )
    with op.batch_alter_table("round_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_report_round_id"), ["round_id"], unique=False)

    op.create_table(
        "round_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("author_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["round_id"], ["comment_round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "author_key", "revision", name="uq_round_response_rev"),
    )
    with op.batch_alter_table("round_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_round_response_author_key"), ["author_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_round_response_round_id"), ["round_id"], unique=False)

    op.create_table(
        "round_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("section_position", sa.Integer(), nullable=True),
        sa.Column("stance", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("proposed_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["round_response.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["comment_round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("round_comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_round_comment_response_id"), ["response_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_round_comment_round_id"), ["round_id"], unique=False)

    op.create_table(
        "round_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["answered_by"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["comment_id"], ["round_comment.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["merged_into"], ["round_comment.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["round_id"], ["comment_round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", name="uq_round_answer_comment"),
    )
    with op.batch_alter_table("round_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_answer_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    for table in (
        "round_answer",
        "round_comment",
        "round_response",
        "round_report",
        "round_member",
        "draft_section",
        "comment_round",
    ):
        op.drop_table(table)
