"""voting: polls that confirm the voter's face, and the one-time permits to cast

A poll may ask each voter's tablet to match their face before a ballot is taken
(`poll.confirm_face`, off for every poll that exists). An accepted face check, or the chair
after a desk check, issues a permit that the ballot consumes (`vote_permit`, kept on the
who-voted side only).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confirm_face", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "vote_permit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("distance", sa.Float(), nullable=True),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["voter_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["granted_by"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_vote_permit_poll_voter", "vote_permit", ["poll_id", "voter_id"])


def downgrade() -> None:
    op.drop_index("ix_vote_permit_poll_voter", table_name="vote_permit")
    op.drop_table("vote_permit")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("confirm_face")
