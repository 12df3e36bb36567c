"""`hop reindex`: make the PDF renderings of Office versions that have none, then extract the text
of every document version not yet indexed for the search.

New uploads are rendered and indexed by the server in the background; this catches up a
database from before the reader or the search, versions whose indexing was interrupted, and
Office files uploaded while LibreOffice was not installed."""

import typer

from cli.db import database
from web.settings import get_settings


def register(app: typer.Typer) -> None:
    app.command()(reindex)


def reindex() -> None:
    """Render Office versions for the reader, then index the text of every document version
    not indexed yet (for the search)."""
    from meetings import doctext, renditions
    from meetings.storage import BlobStore
    from models import RenditionStatus

    store = BlobStore(get_settings().storage_dir)
    rendered = indexed = 0
    with database() as session:
        for version in renditions.unrendered_versions(session):
            made = renditions.ensure_rendition(session=session, version=version, store=store)
            if made.status == RenditionStatus.ready:
                rendered += 1
                doctext.forget_no_text(session, version)  # its text is read from the PDF now
        for version in doctext.unindexed_versions(session):
            source = renditions.text_source(session, version)
            indexed += doctext.index_version(session, source, store=store)
    typer.echo(f"Rendered {rendered} Office document version(s) as PDF.")
    typer.echo(f"Indexed {indexed} document version(s).")
