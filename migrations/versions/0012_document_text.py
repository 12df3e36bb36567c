"""document text: each version's text page by page, and the search index over it

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# models.doctext.SQLITE_FTS_TABLE (not imported: a migration stays as it was written).
FTS = 'document_page_fts'
PG_INDEX = 'ix_document_page_text_search'  # models.doctext.PG_SEARCH_INDEX


def upgrade() -> None:
    op.create_table('document_text',
    sa.Column('version_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('truncated', sa.Boolean(), nullable=False),
    sa.Column('indexed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['document_version.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id')
    )
    op.create_table('document_page_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('folded', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['document_version.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'page', name='uq_document_page_text')
    )
    with op.batch_alter_table('document_page_text', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_page_text_version_id'), ['version_id'], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        _sqlite_fts()
    elif dialect == 'postgresql':
        # 'simple': no stemming or stop words - the folded text is already normalised.
        op.execute(
            f"CREATE INDEX {PG_INDEX} ON document_page_text "
            "USING gin (to_tsvector('simple', folded))"
        )


def _sqlite_fts() -> None:
    # An external-content FTS5 table kept in step by triggers (cascaded deletes fire them too).
    op.execute(
        f"CREATE VIRTUAL TABLE {FTS} USING fts5(folded, content='document_page_text', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
    )
    op.execute(
        f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON document_page_text BEGIN "
        f"INSERT INTO {FTS}(rowid, folded) VALUES (new.id, new.folded); END"
    )
    op.execute(
        f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON document_page_text BEGIN "
        f"INSERT INTO {FTS}({FTS}, rowid, folded) VALUES ('delete', old.id, old.folded); END"
    )
    op.execute(
        f"CREATE TRIGGER {FTS}_au AFTER UPDATE ON document_page_text BEGIN "
        f"INSERT INTO {FTS}({FTS}, rowid, folded) VALUES ('delete', old.id, old.folded); "
        f"INSERT INTO {FTS}(rowid, folded) VALUES (new.id, new.folded); END"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for suffix in ('ai', 'ad', 'au'):
            op.execute(f'DROP TRIGGER IF EXISTS {FTS}_{suffix}')
        op.execute(f'DROP TABLE IF EXISTS {FTS}')
    elif dialect == 'postgresql':
        op.execute(f'DROP INDEX IF EXISTS {PG_INDEX}')
    with op.batch_alter_table('document_page_text', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_page_text_version_id'))
    op.drop_table('document_page_text')
    op.drop_table('document_text')
