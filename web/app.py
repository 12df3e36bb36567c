"""The FastAPI app factory; the lifespan owns the engine and every other resource."""

import functools
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

from checkin.pool import FacePool
from meetings.documents import Uploads
from models.db import REQUEST_LIMIT, make_engine
from web import faces, health, poll_deadlines
from web.api import auth as auth_api
from web.api import checkin as checkin_api
from web.api import checkin_policy as policy_api
from web.api import documents as documents_api
from web.api import encrypted_polls as encrypted_polls_api
from web.api import face_capture as face_capture_api
from web.api import face_check as face_check_api
from web.api import mail as mail_api
from web.api import meetings as meetings_api
from web.api import minutes as minutes_api
from web.api import notes as notes_api
from web.api import people as people_api
from web.api import polls as polls_api
from web.api import reports as reports_api
from web.api import result_signatures as result_signatures_api
from web.api import rounds as rounds_api
from web.api import search as search_api
from web.api import signatures as signatures_api
from web.api import speakers as speakers_api
from web.api import written as written_api
from web.deps import csrf_protect
from web.docs import install_docs
from web.drain import Drain
from web.errors import InternalErrors, install_error_handlers
from web.hub import Hub
from web.i18n import Translator
from web.limits import ConcurrencyLimit
from web.logs import RequestContext
from web.mail import start_reminders, stop_reminders
from web.metrics import LIVE, HttpMetrics
from web.metrics_route import router as metrics_router
from web.pages import routes as page_routes
from web.proof_pool import ProofPool
from web.ratelimit import RateLimits
from web.realtime import attendance as attendance_live
from web.realtime import ballots as ws_ballots
from web.realtime import encrypted_ballots as ws_encrypted_ballots
from web.realtime import kiosk as ws_kiosk
from web.realtime import ws
from web.realtime.ballot_writer import BallotWriter
from web.realtime.encrypted_writer import EncryptedBallotWriter
from web.realtime.openings import Openings
from web.realtime.revocation import RevocationWatch
from web.security import SecurityMiddleware
from web.settings import Settings, get_settings
from web.state import AppState

STATIC_DIR = Path(__file__).parent / "static"
TITLE = "Hop"


def build_state(settings: Settings) -> AppState:
    """The resources the app runs on, made from settings."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    return AppState(
        settings=settings,
        engine=engine,
        uploads=Uploads.from_settings(settings),
        translator=Translator(),
        hub=Hub(settings.redis_url, settings.redis_channel),
        rate_limits=RateLimits.from_settings(settings),
    )


# The collector's thresholds for a server process. With the defaults (700, 10, 10) a full
# collection over a hall's open sockets came every second or so under a burst of ballots and
# stalled the event loop for ~350 ms (bench.voting: p99 460 → 150 ms). Cyclic garbage is still
# collected, only in larger steps; reference counting frees the rest at once as before.
GC_THRESHOLDS = (20_000, 20, 20)
# How long a thread holding the GIL keeps the event loop waiting for it (Python's default is
# 5 ms). Worker threads (database reads, the ballot writer) run Python while the loop serves
# thousands of sockets; every time the loop gives the GIL up (a system call) it waited up to
# 5 ms to get it back: a reconnect storm crawled at ~70 sockets a second (bench.congress).
SWITCH_INTERVAL = 0.001


def create_app(settings: Settings | None = None, *, face_pool: FacePool | None = None) -> FastAPI:
    """A Hop app for these settings (default: from the environment); a face pool may be lent."""
    settings = settings or get_settings()
    settings.resolved_secret_key  # noqa: B018 - create the key file before serving

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gc.set_threshold(*GC_THRESHOLDS)
        sys.setswitchinterval(SWITCH_INTERVAL)
        state = build_state(settings)
        app.state.hop = state
        app.state.openings = Openings()  # meeting sockets opened in batches (web.realtime.ws)
        ws_ballots.install(state)
        ws_encrypted_ballots.install(state)
        attendance_live.install(state)
        state.faces = faces.build_face_services(settings, face_pool)
        state.ballots = ballots = BallotWriter(state)
        state.encrypted_ballots = encrypted_ballots = EncryptedBallotWriter(state)
        state.proofs = proofs = ProofPool()  # its workers start with the first ballot
        state.revocation = watch = RevocationWatch(state.engine, settings.revocation_check_seconds)
        state.hub.run_alongside(watch.run_forever)  # stopped with the hub
        await state.hub.start()
        state.drain = drain = Drain(state.hub, settings.drain_seconds)
        drain.install()  # under uvicorn: SIGTERM drains first (web.drain)
        reminders = start_reminders(state.engine, settings)
        deadlines = poll_deadlines.start(state)
        LIVE.attach(state.hub.room_sizes, state.engine)  # read by /metrics
        try:
            yield
        finally:
            drain.uninstall()
            await ballots.stop()
            await encrypted_ballots.stop()
            proofs.close()
            await deadlines.stop()
            await stop_reminders(reminders)
            await state.hub.stop()
            state.faces.close()
            state.rate_limits.close()
            state.engine.dispose()
            LIVE.detach(state.engine)

    app = FastAPI(
        title=TITLE,
        summary="Paperless meetings with face check-in and live voting",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # web.docs serves them from local assets
        redoc_url=None,
    )
    app.add_middleware(ConcurrencyLimit, limit=REQUEST_LIMIT)
    app.add_middleware(SecurityMiddleware, max_body_bytes=settings.max_upload_bytes)
    app.add_middleware(HttpMetrics)  # latency per route template, 500s included
    app.add_middleware(InternalErrors)  # errors of the others too
    app.add_middleware(RequestContext)  # outermost: every line logged has the request id
    install_error_handlers(app)
    app.router.routes.extend(_routes())
    app.router._mark_routes_changed()
    return app


@functools.cache
def _routes() -> tuple[BaseRoute, ...]:
    """Every route of Hop, built once per process and shared by the apps made in it.

    FastAPI works a route's dependencies, parameters and models out when its router is
    included, and again on its first request, for each app: 0.1-0.2 s for Hop's routes, which
    every test paid (about a third of the suite's time). The routes hold nothing of one app:
    its state is reached through request.app, set by the app serving the request. (Dependency
    overrides would be looked up on the first app: Hop uses none.)
    """
    template = FastAPI(title=TITLE, docs_url=None, redoc_url=None)
    first = len(template.router.routes)  # FastAPI's own (/openapi.json) stay with each app
    # The sockets first: a route is found by trying each in turn, and a reconnect storm opens
    # a thousand sockets in seconds (bench.congress).
    template.include_router(ws.router)
    template.include_router(ws_kiosk.router)
    api = APIRouter(prefix="/api", dependencies=[Depends(csrf_protect)])
    for module in (
        auth_api,
        people_api,
        meetings_api,
        mail_api,
        documents_api,
        search_api,
        notes_api,
        polls_api,
        encrypted_polls_api,
        result_signatures_api,
        rounds_api,
        written_api,
        face_check_api,
        minutes_api,
        signatures_api,
        reports_api,
        speakers_api,
        checkin_api,
        policy_api,
        face_capture_api,
    ):
        api.include_router(module.router)
    template.include_router(api)
    template.include_router(result_signatures_api.well_known)  # /.well-known/, no login
    template.include_router(page_routes.router, dependencies=[Depends(csrf_protect)])
    template.include_router(health.router)  # /healthz, /readyz
    template.include_router(metrics_router)  # /metrics (web.metrics_route)
    install_docs(template)  # mounts /static/vendor/..., so before /static
    template.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    return tuple(template.router.routes[first:])
