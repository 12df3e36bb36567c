"""After a new document version is uploaded, once the response is sent: an Office file's PDF
rendering for the reader (meetings.renditions), then the version's text for the search, then
the delegates' notes carried to it (meetings.notes.carry_notes).

The upload routes schedule it with FastAPI's BackgroundTasks: a plain function, so Starlette
runs it in its thread pool, off the event loop, with a session of its own. An Office file's
text is read from its rendering, so the search finds its words on the pages the reader shows.
"""

import logging

from fastapi import BackgroundTasks
from sqlmodel import Session

from meetings import doctext, notes, renditions
from meetings import documents as docs
from models import Document, DocumentVersion
from web.state import AppState

log = logging.getLogger(__name__)


def schedule_indexing(
    background: BackgroundTasks, state: AppState, session: Session, document: Document
) -> None:
    """Render (Office files) and index the document's current version once the response has
    gone."""
    version = docs.get_version(session=session, document=document)
    assert version.id is not None
    background.add_task(index_in_background, state, version.id)


def index_in_background(state: AppState, version_id: int) -> None:
    """Make the rendering and store the text; a failure is logged (`hop reindex` retries the
    text; the reader asks for the rendering again)."""
    try:
        with Session(state.engine, expire_on_commit=False) as session:
            version = session.get(DocumentVersion, version_id)
            if version is None:  # removed meanwhile: nothing to do
                return
            store = state.uploads.store
            if renditions.is_office(version.media_type):
                renditions.ensure_rendition(session=session, version=version, store=store)
            source = renditions.text_source(session, version)
            doctext.index_version(session, source, store=store)
            document = session.get(Document, version.document_id)
            if document is not None:  # delegates' notes follow to the new version's text
                notes.carry_notes(session, document)
    except Exception:
        log.exception("Rendering or indexing document version %s failed", version_id)
