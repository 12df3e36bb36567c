"""search: PostgreSQL keeps each page's tsvector instead of computing it at every search

A search whose words are on many pages made PostgreSQL compute to_tsvector for every page
(a sequential scan was its cheaper-looking plan): 70 ms of a meeting's 600 pages. A stored
generated column costs the parse once, at insert. SQLite's FTS5 table is unchanged.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 07:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_INDEX = "ix_document_page_text_search"  # models.doctext.PG_SEARCH_INDEX
COLUMN = "search_vector"  # models.doctext.PG_SEARCH_COLUMN


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER TABLE document_page_text ADD COLUMN {COLUMN} tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', folded)) STORED"
    )
    op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
    op.execute(f"CREATE INDEX {PG_INDEX} ON document_page_text USING gin ({COLUMN})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
    op.execute(f"ALTER TABLE document_page_text DROP COLUMN IF EXISTS {COLUMN}")
    op.execute(
        f"CREATE INDEX {PG_INDEX} ON document_page_text "
        "USING gin (to_tsvector('simple', folded))"
    )
