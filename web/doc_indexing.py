"""Indexing a new document version's text for the search, after the response is sent.

The upload routes schedule it with FastAPI's BackgroundTasks: a plain function, so Starlette
runs it in its thread pool, off the event loop, with a session of its own.
"""

import logging

from fastapi import BackgroundTasks
from sqlmodel import Session

from meetings import doctext
from meetings import documents as docs
from models import Document, DocumentVersion
from web.state import AppState

log = logging.getLogger(__name__)


def schedule_indexing(
    background: BackgroundTasks, state: AppState, session: Session, document: Document
) -> None:
    """Index the document's current version once the response has gone."""
    version = docs.get_version(session=session, document=document)
    assert version.id is not None
    background.add_task(index_in_background, state, version.id)


def index_in_background(state: AppState, version_id: int) -> None:
    """Extract and store the version's text; a failure is logged (`hop reindex` retries)."""
    try:
        with Session(state.engine, expire_on_commit=False) as session:
            version = session.get(DocumentVersion, version_id)
            if version is not None:  # removed meanwhile: nothing to index
                doctext.index_version(session, version, store=state.uploads.store)
    except Exception:
        log.exception("Indexing the text of document version %s failed", version_id)
