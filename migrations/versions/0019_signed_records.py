"""records: signed records (ký số)

A final record's PDF on its way through its signers in order (signing_record, signing_step),
and each signer's PKCS#12 file sealed under the server secret (signer_certificate).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 16:11:23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signer_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sealed_key_file", sa.LargeBinary(), nullable=False),
        sa.Column("common_name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("issuer", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("serial", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id"),
    )
    op.create_table(
        "signing_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("base_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "ref_id", name="uq_signing_record_ref"),
    )
    with op.batch_alter_table("signing_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signing_record_base_sha256"), ["base_sha256"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_signing_record_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signing_record_sha256"), ["sha256"], unique=False)

    op.create_table(
        "signing_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("signed_by", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("field_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column(
            "certificate_subject", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False
        ),
        sa.Column(
            "certificate_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["record_id"], ["signing_record.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["signed_by"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "position", name="uq_signing_step_position"),
    )
    with op.batch_alter_table("signing_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_step_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signing_step_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signing_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_step_sha256"))
        batch_op.drop_index(batch_op.f("ix_signing_step_record_id"))

    op.drop_table("signing_step")
    with op.batch_alter_table("signing_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_record_sha256"))
        batch_op.drop_index(batch_op.f("ix_signing_record_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_signing_record_base_sha256"))

    op.drop_table("signing_record")
    op.drop_table("signer_certificate")
