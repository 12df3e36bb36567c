"""`hop reindex`: extract the text of every document version not yet indexed for the search.

New uploads are indexed by the server in the background; this catches up a database from
before the search, or versions whose indexing was interrupted."""

import typer

from cli.db import database
from web.settings import get_settings


def register(app: typer.Typer) -> None:
    app.command()(reindex)


def reindex() -> None:
    """Index the text of every document version not indexed yet (for the search)."""
    from meetings import doctext
    from meetings.storage import BlobStore

    store = BlobStore(get_settings().storage_dir)
    indexed = 0
    with database() as session:
        for version in doctext.unindexed_versions(session):
            indexed += doctext.index_version(session, version, store=store)
    typer.echo(f"Indexed {indexed} document version(s).")
