"""Prometheus metrics of this process: the metric objects, in one place, and the HTTP timer.

Each server process keeps its own registry and is scraped on its own (web.metrics_route serves
it at /metrics); no multiprocess mode, no shared files. Counters are bumped where things happen
(the hub, the ballot writer, the kiosk socket, the face pool's callers in web/); what is a
level rather than a count (open sockets per meeting, the database pool) is read at scrape time
by LiveCollector, so it can never drift from the truth.

This module imports nothing of web/: the hub and the sockets, below which it sits, import it.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import HopError

T = TypeVar("T")

disable_created_metrics()  # no *_created series: half the lines, nothing a dashboard reads
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # CPU, memory, open files of this process
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

# Seconds: face work is tens of milliseconds to seconds; a ballot batch a few milliseconds to
# a second under a burst; HTTP anything from a cached file to a PDF export.
FACE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
HTTP_BUCKETS = (0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)  # few: a series per route

EVENTS_PUBLISHED = Counter(
    "hop_events_published",
    "Committed meeting events published by this process (to its own sockets or to Redis)",
    registry=REGISTRY,
)
EVENTS_DELIVERED = Counter(
    "hop_events_delivered",
    "Meeting events queued for a socket of this process (one per event and recipient)",
    registry=REGISTRY,
)
SLOW_CLIENTS = Counter(
    "hop_ws_slow_clients_cut",
    "Sockets cut off because their queue was full (too slow; they resume from the log)",
    registry=REGISTRY,
)
BALLOTS_ACCEPTED = Counter(
    "hop_ballots_accepted",
    "Ballots acknowledged (a resend of the same nonce counts again); its rate is ballots/s",
    registry=REGISTRY,
)
BALLOTS_REFUSED = Counter(
    "hop_ballots_refused",
    "Casts refused with an error (not eligible, closed poll…)",
    registry=REGISTRY,
)
BALLOT_WRITE_SECONDS = Histogram(
    "hop_ballot_write_seconds",
    "Writing and committing one batch of ballots of a poll",
    buckets=WRITE_BUCKETS,
    registry=REGISTRY,
)
FACE_JOBS = Counter(
    "hop_face_jobs",
    "Face jobs by kind (frame, enrolment, check, capture) and outcome (ok, refused, busy, error)",
    ("kind", "outcome"),
    registry=REGISTRY,
)
FACE_JOB_SECONDS = Histogram(
    "hop_face_job_seconds",
    "A face job from its submission to the pool to its answer (waiting included)",
    ("kind",),
    buckets=FACE_BUCKETS,
    registry=REGISTRY,
)
KIOSK_FRAMES_DROPPED = Counter(
    "hop_kiosk_frames_dropped",
    "Kiosk frames never analysed: replaced by a newer one, or over the rate limit",
    ("reason",),
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "hop_http_request_seconds",
    "HTTP requests by route template, method and status class",
    ("route", "method", "status"),
    buckets=HTTP_BUCKETS,
    registry=REGISTRY,
)


class LiveCollector(Collector):
    """Levels read when scraped: open sockets per meeting and the database pool's usage.

    The app attaches its hub's room sizes and its engine at start-up (the latest app of
    the process wins, which only matters to tests) and detaches them at shutdown. The rooms
    belong to the event loop, and a scrape is rendered in a thread (thousands of lines take
    tens of milliseconds): `refresh`, on the loop, takes the counts that scrape reports.
    """

    def __init__(self) -> None:
        self._rooms: Callable[[], Mapping[int, int]] | None = None
        self._engine: Any = None  # its pool is read at each scrape (dispose() replaces it)
        self._sockets: Mapping[int, int] = {}

    def attach(self, rooms: Callable[[], Mapping[int, int]], engine: Any) -> None:
        self._rooms, self._engine = rooms, engine

    def detach(self, engine: Any) -> None:
        """At that app's shutdown; another app attached since (tests) stays."""
        if self._engine is engine:
            self._rooms, self._engine, self._sockets = None, None, {}

    def refresh(self) -> None:
        """Read the open sockets per meeting now (on the event loop, before a scrape)."""
        self._sockets = dict(self._rooms()) if self._rooms is not None else {}

    def collect(self) -> Iterator[Metric]:
        sockets = GaugeMetricFamily(
            "hop_ws_open_sockets", "Open meeting sockets of this process", labels=["meeting"]
        )
        for meeting, count in sorted(self._sockets.items()):
            sockets.add_metric([str(meeting)], count)
        yield sockets
        yield from _pool_gauges(getattr(self._engine, "pool", None))


def _pool_gauges(pool: Any) -> Iterator[Metric]:
    """A QueuePool's size, connections checked out and overflow (other pools: nothing)."""
    readings = {
        "hop_db_pool_size": ("Connections the database pool keeps", "size"),
        "hop_db_pool_checked_out": ("Database connections in use now", "checkedout"),
        "hop_db_pool_overflow": ("Connections opened beyond the pool's size", "overflow"),
    }
    for name, (help_text, method) in readings.items():
        gauge = GaugeMetricFamily(name, help_text)
        read = getattr(pool, method, None)
        if callable(read):
            gauge.add_metric([], float(read()))
        yield gauge


LIVE = LiveCollector()
REGISTRY.register(LIVE)


def count_ballots(outcomes: list[Any]) -> None:
    """One batch's outcomes: acknowledgements and errors (voting.batch.Outcome)."""
    refused = sum(isinstance(outcome, Exception) for outcome in outcomes)
    BALLOTS_ACCEPTED.inc(len(outcomes) - refused)
    if refused:
        BALLOTS_REFUSED.inc(refused)


async def face_job(kind: str, job: Awaitable[T]) -> T:
    """Await a face pool job (e.g. `pool.run(...)`), timing it and counting its outcome."""
    started = time.perf_counter()
    outcome = "error"
    try:
        result = await job
        outcome = "ok"
        return result
    except HopError as error:
        outcome = "busy" if error.status_code == 503 else "refused"
        raise
    except asyncio.CancelledError:
        outcome = "cancelled"  # the kiosk or the request went away
        raise
    finally:
        FACE_JOB_SECONDS.labels(kind).observe(time.perf_counter() - started)
        FACE_JOBS.labels(kind, outcome).inc()


UNMATCHED = "unmatched"  # no route: one label for every unknown URL, never the URL itself
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope, root_path: str = "") -> str:
    """The matched route's path template (/api/polls/{poll_id}), never the raw path.

    FastAPI leaves the route of an included router in scope["route"] with its own template
    (/polls/{poll_id}), without the router's prefix: the prefix is read back from the path,
    which ends with the template filled in. A mount (the static files) is its prefix and
    /{path}: scope["root_path"] grew by it (root_path is the value before the app ran).
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if isinstance(template, str) and template:
        return _prefixed(scope, route, template)
    mounted = str(scope.get("root_path", ""))
    if mounted != root_path and mounted.startswith(root_path):
        return mounted[len(root_path) :] + "/{path}"
    return UNMATCHED


def _prefixed(scope: Scope, route: Any, template: str) -> str:
    params: dict[str, Any] = scope.get("path_params") or {}
    convertors: dict[str, Any] = getattr(route, "param_convertors", {})
    filled, values = template, []
    for name, value in params.items():
        convertor = convertors.get(name)
        text = convertor.to_string(value) if convertor is not None else str(value)
        filled = filled.replace("{" + name + "}", text)
        values.append(text)
    path = str(scope.get("path", ""))
    if not path.endswith(filled):
        return template
    prefix = path[: len(path) - len(filled)]
    # A prefix is a router's fixed text; one holding a parameter's value would make a label
    # per value: then the route's own template is label enough.
    if any(text and text in prefix for text in values):
        return template
    return prefix + template


class HttpMetrics:
    """Times every HTTP request by route template, method and status class (2xx…5xx)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = str(scope.get("root_path", ""))
        status = 500  # an error raised through here, unanswered

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            method = str(scope.get("method", "")).upper()
            method = method if method in METHODS else "OTHER"  # labels stay few
            HTTP_SECONDS.labels(
                route_template(scope, root_path), method, f"{status // 100}xx"
            ).observe(time.perf_counter() - started)
