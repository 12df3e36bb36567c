"""faces: templates learned at the kiosk, and the meeting policy that allows it

Every stored face gets a kind: `enrolled` (a photo the secretariat enrolled; every row that
exists already) or `learned` (a kiosk face confirmed by QR, the desk or a grey-zone tap, see
checkin.learning), with the meeting it was learned at. A meeting's check-in policy says
whether its kiosks may learn (on by default; learning still needs the person's consent).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("face_embedding", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="enrolled")
        )
        batch_op.add_column(sa.Column("learned_meeting_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_face_embedding_learned_meeting_id_meeting",
            "meeting",
            ["learned_meeting_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("checkin_policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("learn_templates", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("checkin_policy", schema=None) as batch_op:
        batch_op.drop_column("learn_templates")
    with op.batch_alter_table("face_embedding", schema=None) as batch_op:
        batch_op.drop_constraint("fk_face_embedding_learned_meeting_id_meeting", type_="foreignkey")
        batch_op.drop_column("learned_meeting_id")
        batch_op.drop_column("kind")
