"""devices: when a kiosk or projector was last seen, and screens waiting to be paired

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 16:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: a device issued before this migration, or never used, has not been seen.
    with op.batch_alter_table('device_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('device_pairing',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('claim_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('screen_path', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['device_token.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code')
    )


def downgrade() -> None:
    op.drop_table('device_pairing')
    with op.batch_alter_table('device_token', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
