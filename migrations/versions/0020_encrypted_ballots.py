"""voting: encrypted secret ballots (hop-eb-v1)

A poll may be an encrypted secret ballot (`poll.encrypted`, off for every poll that exists).
Its public hash-chained board (`board_entry`), the cast ballots' ciphertexts
(`encrypted_ballot`) and the posted Benaloh reveals (`encrypted_reveal`): the last two with a
random key, no voter, no time and no rowid, like `secret_choice`.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _unlinked_table(name: str, column: str, unique: str) -> None:
    """A table of ciphertexts that says nothing about who wrote a row, or when."""
    op.create_table(
        name,
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("tracking_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(column, sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("poll_id", "tracking_code", name=unique),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_poll_id"), ["poll_id"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("encrypted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "board_entry",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("prev", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "index"),
    )
    _unlinked_table("encrypted_ballot", "ballot", "uq_encrypted_ballot_code")
    _unlinked_table("encrypted_reveal", "reveal", "uq_encrypted_reveal_code")


def downgrade() -> None:
    for name in ("encrypted_reveal", "encrypted_ballot"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_poll_id"))
        op.drop_table(name)
    op.drop_table("board_entry")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("encrypted")
