"""Reading offline: the service worker (/sw.js, scoped to the whole site) and the list of what
it keeps for the logged-in person (/api/my/offline), made from meetings.offline's rule."""

import hashlib
from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from sqlmodel import SQLModel

from meetings import offline
from models import MeetingStatus
from web.deps import CurrentUser, SessionDep, StateDep
from web.docs import VENDOR

router = APIRouter()
STATIC_DIR = Path(__file__).parent.parent / "static"
SERVICE_WORKER = STATIC_DIR / "sw.js"
# The service worker sends this header with what it fetches to keep, not to show: such a fetch
# is not the person reading (see is_prefetch). Document contents are fetched with a Range
# header instead, which already records no read.
PREFETCH_HEADER = "x-hop-prefetch"
# Hop's own scripts and styles, and what the reader loads of PDF.js (web.docs.VENDOR mounts
# each folder at /static/vendor/pdfjs/<folder>): the library and its worker, the viewer and its
# icons, the fonts a PDF may use without embedding them, the image decoders. Anything else under
# /static/ (a CMap, say) is kept the first time a page loads it online.
OWN_ASSETS = ("*.css", "*.js", "*.mjs")
PDFJS_ASSETS = {
    "build": ("pdf.min.mjs", "pdf.worker.min.mjs"),
    "web": ("pdf_viewer.mjs", "pdf_viewer.css", "images/*"),
    "standard_fonts": ("*.pfb", "*.ttf"),
    "wasm": ("*_nowasm_fallback.js",),
}
NOT_KEPT = frozenset({"sw.js"})
# The parts of the room its live client fetches again (web.pages.room, speakers, polls).
ROOM_PARTS = ("fragments/agenda", "fragments/documents", "results", "speakers", "ballot")


class OfflineDocumentOut(SQLModel):
    id: int
    title: str
    version: int
    urls: list[str]


class OfflineMeetingOut(SQLModel):
    id: int
    title: str
    status: MeetingStatus
    start_at: datetime
    # Changes whenever a page of the meeting may have changed: its pages are fetched again.
    stamp: str
    urls: list[str]
    documents: list[OfflineDocumentOut]


class OfflineManifest(SQLModel):
    person_id: int
    days: int
    shell: list[str]
    assets: list[str]
    # Changes when the server's static files change: the tablet drops its old copies.
    assets_version: str
    meetings: list[OfflineMeetingOut]


def is_prefetch(request: Request) -> bool:
    """The service worker fetching a page to keep: not the person opening it."""
    return request.headers.get(PREFETCH_HEADER) == "1"


@router.get("/sw.js")
def service_worker() -> FileResponse:
    """The service worker, from the site's root so that it may control every page; browsers
    check it for updates on each visit (no-cache)."""
    headers = {"service-worker-allowed": "/", "cache-control": "no-cache"}
    return FileResponse(SERVICE_WORKER, media_type="text/javascript", headers=headers)


@router.get("/api/my/offline")
def offline_manifest(session: SessionDep, person: CurrentUser, state: StateDep) -> OfflineManifest:
    """What this person's tablet keeps: their meetings of the coming days, in progress or
    scheduled, with every published document's reader page, file and notes."""
    assert person.id is not None
    days = state.settings.offline_days
    meetings = offline.kept_offline(session=session, person=person, days=days)
    assets, version = static_assets()
    return OfflineManifest(
        person_id=person.id,
        days=days,
        shell=["/my"],
        assets=list(assets),
        assets_version=version,
        meetings=[_meeting_out(kept) for kept in meetings],
    )


def _meeting_out(kept: offline.OfflineMeeting) -> OfflineMeetingOut:
    meeting = kept.meeting
    assert meeting.id is not None
    room = f"/room/{meeting.id}"
    versions = ",".join(f"{doc.id}.{doc.version}" for doc in kept.documents)
    return OfflineMeetingOut(
        id=meeting.id,
        title=meeting.title,
        status=meeting.status,
        start_at=meeting.start_at,
        stamp=f"{meeting.event_seq}:{meeting.status}:{versions}",
        urls=[room, *(f"{room}/{part}" for part in ROOM_PARTS)],
        documents=[_document_out(meeting.id, doc) for doc in kept.documents],
    )


def _document_out(meeting_id: int, doc: offline.OfflineDocument) -> OfflineDocumentOut:
    api = f"/api/documents/{doc.id}"
    urls = [f"/room/{meeting_id}/documents/{doc.id}", f"{api}/content?version={doc.version}"]
    if doc.rendered:
        urls.append(f"{api}/rendition?version={doc.version}")
    urls.append(f"{api}/notes")
    return OfflineDocumentOut(id=doc.id, title=doc.title, version=doc.version, urls=urls)


def static_assets() -> tuple[tuple[str, ...], str]:
    """The static files pages use, as URLs, and a digest of their sizes and times. Read on each
    request (a few dozen stat calls): a file changed under a running server reaches the
    tablets at their next sync."""
    found = dict(_files("/static", STATIC_DIR, OWN_ASSETS))
    for mount, directory in VENDOR.items():
        folder = mount.rstrip("/").rsplit("/", 1)[-1]
        if "/pdfjs" in mount and folder in PDFJS_ASSETS:
            found.update(_files(mount, directory, PDFJS_ASSETS[folder]))
    digest = hashlib.sha256()
    for url, path in sorted(found.items()):
        stat = path.stat()
        digest.update(f"{url}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return tuple(sorted(found)), digest.hexdigest()[:16]


def _files(mount: str, directory: Path, patterns: tuple[str, ...]) -> list[tuple[str, Path]]:
    if not directory.is_dir():
        return []  # node_modules not installed: the pages' vendor files are 404s anyway
    found = {path for pattern in patterns for path in directory.glob(pattern) if path.is_file()}
    return [
        (f"{mount}/{path.relative_to(directory).as_posix()}", path)
        for path in found
        if path.name not in NOT_KEPT
    ]
