"""Staff actions benchmark: how long each action of the pages takes with screens connected.

    .venv/bin/python -m bench.pages [--repeat 30] [--sockets 0,50] [--fetch [--spread MS]]
                                    [--quick]

A fresh migrated database (SQLite, or --database postgresql) with a secretariat login, a
meeting in progress with an agenda, delegates invited with a voting right (enough of them
checked in for the meeting's 2/3 quorum), drafts of documents to publish, and one real uvicorn
server process. For each number of connected screens (delegates' meeting websockets, held by a
client process that reads every message), the secretariat repeats each action through the
pages as a browser posts them (form posts with the CSRF token; the 303 is not followed): draft
a poll, open it, close it, check a delegate in and out at the desk, publish a document, set
the current item. With --fetch each screen also fetches again the fragments its room page
fetches on that event (live.js's data-live-on), as a tablet's browser does: after a random
wait of 0 to --spread ms (1500, as live.js), one fetch for the events of that wait, and one
more right after for an event that comes while the fetch is in flight (--spread 0: at once).
Measured: the response time of each post, p50/p95/max per action and number of sockets.
A table, then as the last line one JSON object. Traffic goes to 127.0.0.1 only.
"""

import argparse
import asyncio
import io
import json
import multiprocessing
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx2 as httpx

from bench._servers import (
    PASSWORD,
    Server,
    free_port,
    fresh_database,
    hop_env,
    populated,
    raise_nofile,
)

ACTIONS = (
    "draft_poll",
    "open_poll",
    "close_poll",
    "check_in",
    "check_out",
    "publish_document",
    "set_current_item",
)
PG_URL = "postgresql://postgres@127.0.0.1:5432/hop_bench_pages"
SPREAD_MS = 1500  # live.js: a fragment waits a random 0 to 1.5 s after an event to fetch
TARGET_P95_MS = 200.0
SPARE_DELEGATES = 5  # invited, not checked in: the desk checks them in and out


@dataclass(frozen=True)
class Scene:
    """The meeting, its agenda, the desk's delegates, and the screens' session tokens."""

    database_url: str
    meeting_id: int
    item_ids: list[int]
    desk_ids: list[int]
    screens: list[str]


# Setup, through the services ---------------------------------------------------------------


def prepare(database_url: str, screens: int) -> Scene:
    """Migrate, then a clerk, a meeting in progress, delegates (checked in), their sessions."""
    return populated(database_url, lambda session: _populate(session, database_url, screens))


def _populate(session: Any, database_url: str, screens: int) -> Scene:
    from checkin import attendance
    from meetings import people, scheduling
    from models import (
        AgendaItemCreate,
        AttendanceMethod,
        InvitationCreate,
        MeetingCreate,
        MeetingStatus,
        PersonCreate,
        Role,
    )
    from models.base import utcnow
    from web.auth import start_session

    clerk = people.create_person(
        session=session,
        data=PersonCreate(
            username="bench_clerk", full_name="Thư ký", role=Role.secretariat, password=PASSWORD
        ),
    )
    start = utcnow()
    meeting = scheduling.create_meeting(
        session=session,
        data=MeetingCreate(title="Kỳ họp", start_at=start, end_at=start + timedelta(hours=3)),
        creator=clerk,
    )
    items = [
        scheduling.add_agenda_item(
            session=session, meeting=meeting, data=AgendaItemCreate(title=f"Nội dung {n}")
        )
        for n in range(1, 4)
    ]
    # Polls open and the current item moves only in a running meeting (meetings.lifecycle).
    for status in (MeetingStatus.scheduled, MeetingStatus.in_progress):
        scheduling.change_status(session=session, meeting=meeting, status=status)
    present = max(screens, 10)
    tokens: list[str] = []
    desk: list[int] = []
    for n in range(present + SPARE_DELEGATES):
        person = people.create_person(
            session=session,
            data=PersonCreate(username=f"daibieu{n:04d}", full_name=f"Đại biểu {n:04d}"),
        )
        assert person.id is not None
        invitation = InvitationCreate(person_id=person.id, voting_right=True)
        scheduling.invite(session=session, meeting=meeting, data=invitation)
        if n >= present:
            desk.append(person.id)
            continue
        attendance.record_check_in(
            session=session, meeting=meeting, person_id=person.id, method=AttendanceMethod.manual
        )
        if n < screens:
            tokens.append(start_session(session, person=person, hours=3))
    assert meeting.id is not None
    item_ids = [item.id for item in items if item.id is not None]
    return Scene(database_url, meeting.id, item_ids, desk, tokens)


# Screens: one client process holding every delegate's socket --------------------------------


# What a delegate's room page re-fetches on each event (data-live-on in room.html).
ROOM_FRAGMENTS = {
    "ballot": ("poll.opened", "poll.closed", "poll.cancelled"),
    "results": ("poll.closed", "poll.published"),
    "fragments/documents": ("document.published", "document.updated", "document.added"),
    "speakers": ("speakers_changed", "meeting.current_item", "meeting.status"),
    "fragments/agenda": ("agenda.changed",),
}
WANTED = {
    kind: [part for part, kinds in ROOM_FRAGMENTS.items() if kind in kinds]
    for kind in {kind for kinds in ROOM_FRAGMENTS.values() for kind in kinds}
}


class Fragments:
    """One tablet's fragments, fetched again as live.js schedules them: a random wait after
    an event, one fetch for the events of that wait, one more at once for an event that came
    during a fetch."""

    def __init__(self, http: httpx.AsyncClient, path: str, token: str, spread: float) -> None:
        self.http, self.path, self.spread = http, path, spread
        self.cookies = {"hop_session": token}
        self.planned: set[str] = set()
        self.busy: set[str] = set()
        self.again: set[str] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.fetched = 0

    def changed(self, part: str, *, at_once: bool = False) -> None:
        if part in self.planned:
            return  # the fetch to come sees this change too
        if part in self.busy:
            self.again.add(part)  # the answer in flight may predate it
            return
        self.planned.add(part)
        task = asyncio.create_task(self._fetch(part, 0.0 if at_once else self.spread))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _fetch(self, part: str, spread: float) -> None:
        await asyncio.sleep(random.uniform(0, spread))
        self.planned.discard(part)
        self.busy.add(part)
        self.fetched += 1
        try:
            await self.http.get(f"{self.path}/{part}", cookies=self.cookies)
        finally:
            self.busy.discard(part)
            if part in self.again:
                self.again.discard(part)
                self.changed(part, at_once=True)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def _hold(
    conn: Connection, port: int, meeting_id: int, tokens: list[str], spread: float | None
) -> None:
    """Hold the tablets' sockets; `spread` (seconds) when they fetch their fragments too."""
    from websockets.asyncio.client import connect

    url = f"ws://127.0.0.1:{port}/ws/meetings/{meeting_id}"
    origin = f"http://127.0.0.1:{port}"
    received = [0]
    http = httpx.AsyncClient(base_url=origin, timeout=60)
    tablets: list[Fragments] = []

    async def open_one(token: str) -> Any:
        socket_ = await connect(
            url,
            additional_headers={"Cookie": f"hop_session={token}", "Origin": origin},
            compression=None,
            max_queue=None,
            open_timeout=60,
        )
        await socket_.send('{"type":"ping"}')  # answered after the snapshot: caught up
        while json.loads(await socket_.recv()).get("type") != "pong":
            pass
        return socket_

    async def read(socket_: Any, token: str) -> None:
        fragments = Fragments(http, f"/room/{meeting_id}", token, spread or 0.0)
        tablets.append(fragments)
        async for text in socket_:
            received[0] += 1
            kind = json.loads(text).get("type")
            for part in WANTED.get(kind, []) if spread is not None else []:
                fragments.changed(part)  # as live.js: the page's fragments, fetched again

    sockets = [await open_one(token) for token in tokens]
    readers = [
        asyncio.create_task(read(socket_, token))
        for socket_, token in zip(sockets, tokens, strict=True)
    ]
    conn.send("ready")
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    await asyncio.gather(*(socket_.close() for socket_ in sockets), return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.gather(*(tablet.stop() for tablet in tablets))
    await http.aclose()
    conn.send((received[0], sum(tablet.fetched for tablet in tablets)))


def screens_main(
    conn: Connection, port: int, meeting_id: int, tokens: list[str], spread: float | None
) -> None:
    raise_nofile()
    try:
        asyncio.run(_hold(conn, port, meeting_id, tokens, spread))
    except Exception as error:  # report, so that the parent does not wait for ever
        conn.send(f"error: {error!r}")
    finally:
        conn.close()


class Screens:
    """Delegates' tablets connected to the meeting for as long as the block runs."""

    def __init__(self, port: int, scene: Scene, count: int, *, spread: float | None = None) -> None:
        """`spread`: the screens fetch their fragments, within that many seconds of an event."""
        self.port, self.scene, self.count, self.spread = port, scene, count, spread
        self.received, self.fetched = 0, 0

    def __enter__(self) -> "Screens":
        if not self.count:
            return self
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        tokens = self.scene.screens[: self.count]
        self.process = context.Process(
            target=screens_main,
            args=(child, self.port, self.scene.meeting_id, tokens, self.spread),
        )
        self.process.start()
        answer = self.pipe.recv() if self.pipe.poll(120) else "error: no answer"
        if answer != "ready":
            raise RuntimeError(f"the screens did not connect: {answer}")
        return self

    def __exit__(self, *_: object) -> None:
        if not self.count:
            return
        self.pipe.send("close")
        answer = self.pipe.recv() if self.pipe.poll(60) else 0
        if isinstance(answer, tuple):
            self.received, self.fetched = answer
        self.process.join(10)


# The secretariat, through the pages -----------------------------------------------------------


class Desk:
    """A logged-in secretariat browser posting the pages' forms."""

    def __init__(self, base_url: str, scene: Scene) -> None:
        self.scene = scene
        self.http = httpx.Client(base_url=base_url, timeout=60)
        response = self.http.post(
            "/api/login", json={"username": "bench_clerk", "password": PASSWORD}
        )
        response.raise_for_status()
        self.csrf = response.json()["csrf_token"]
        self.meeting = f"/meetings/{scene.meeting_id}"
        self.step = 0

    def post(self, path: str, data: dict[str, str]) -> tuple[float, httpx.Response]:
        """A form post, as the browser sends it; its time in ms (the redirect not followed)."""
        began = time.perf_counter()
        response = self.http.post(path, data={**data, "csrf_token": self.csrf})
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 303:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
        return elapsed, response

    def upload_documents(self, count: int) -> list[int]:
        """Drafts to publish, through the API (not measured)."""
        from reportlab.pdfgen import canvas

        buffer = io.BytesIO()
        page = canvas.Canvas(buffer)
        page.drawString(72, 720, "Tờ trình")
        page.save()
        ids = []
        for n in range(count):
            response = self.http.post(
                f"/api/meetings/{self.scene.meeting_id}/documents",
                data={"title": f"Tờ trình {n}"},
                files={"file": ("to-trinh.pdf", buffer.getvalue(), "application/pdf")},
                headers={"x-csrf-token": self.csrf},
            )
            response.raise_for_status()
            ids.append(response.json()["id"])
        return ids

    def round(self, document_id: int, gap: float) -> dict[str, float]:
        """Each action once; a pause after each, as a person's clicks are apart."""
        self.step += 1
        times: dict[str, float] = {}

        def timed(action: str, path: str, data: dict[str, str]) -> httpx.Response:
            times[action], response = self.post(path, data)
            time.sleep(gap)
            return response

        form = {"template": "approval", "title": f"Thông qua nội dung {self.step}"}
        drafted = timed("draft_poll", f"{self.meeting}/polls", form)
        poll_id = _poll_id(drafted.headers["location"])
        timed("open_poll", f"{self.meeting}/polls/{poll_id}/open", {})
        timed("close_poll", f"{self.meeting}/polls/{poll_id}/close", {})
        person = str(self.scene.desk_ids[self.step % len(self.scene.desk_ids)])
        for action in ("check_in", "check_out"):
            timed(action, f"{self.meeting}/checkin", {"person_id": person, "action": action})
        path = f"{self.meeting}/documents/{document_id}/publish"
        timed("publish_document", path, {})
        item = str(self.scene.item_ids[self.step % len(self.scene.item_ids)])
        timed("set_current_item", f"{self.meeting}/current-item", {"item_id": item})
        return times

    def close(self) -> None:
        self.http.close()


def _poll_id(location: str) -> int:
    found = re.search(r"#poll-(\d+)$", location)
    if found is None:
        raise RuntimeError(f"no poll in the redirect {location!r}")
    return int(found.group(1))


# Figures ----------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return round(ordered[index], 1)


def summarise(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        action: {
            "p50_ms": percentile(values, 0.50),
            "p95_ms": percentile(values, 0.95),
            "max_ms": round(max(values), 1),
        }
        for action, values in samples.items()
    }


def measure(
    desk: Desk, port: int, scene: Scene, sockets: int, documents: list[int], args: Any
) -> tuple[dict[str, dict[str, float]], tuple[int, int]]:
    """Every action args.repeat times with this many screens connected; figures, and the
    messages the screens received and the fragments they fetched."""
    samples: dict[str, list[float]] = {action: [] for action in ACTIONS}
    spread = args.spread / 1000 if args.fetch else None
    with Screens(port, scene, sockets, spread=spread) as screens:
        for n in range(args.warmup + args.repeat):
            times = desk.round(documents.pop(), args.gap)
            if n >= args.warmup:
                for action, value in times.items():
                    samples[action].append(value)
        time.sleep(0.5)  # the last events reach the screens before they go
    return summarise(samples), (screens.received, screens.fetched)


def run(args: argparse.Namespace, counts: list[int], note: Callable[[str], None]) -> dict:
    """Prepare, serve, then each socket count in turn on the same server."""
    with (
        tempfile.TemporaryDirectory(prefix="hop-bench-pages-") as folder,
        fresh_database(args.database, Path(folder), args.pg_url) as url,
    ):
        workdir = Path(folder)
        scene = prepare(url, max(counts))
        channel = f"hop:bench:pages:{os.getpid()}"  # never another server's events
        env = hop_env(url, workdir / "var", HOP_REDIS_URL=args.redis_url, HOP_REDIS_CHANNEL=channel)
        server = Server(env, free_port(), workdir / "server.log")
        server.start()
        results: dict[str, Any] = {}
        try:
            server.wait_ready()
            desk = Desk(server.url, scene)
            rounds = args.warmup + args.repeat
            documents = desk.upload_documents(rounds * len(counts))
            for count in counts:
                note(f"{count} sockets: {rounds} rounds…")
                figures, (received, fetched) = measure(
                    desk, server.port, scene, count, documents, args
                )
                results[str(count)] = {
                    "actions": figures,
                    "messages": received,
                    "fetches": fetched,
                }
            desk.close()
        finally:
            server.stop()
            if args.keep_log:
                print((workdir / "server.log").read_text(), file=sys.stderr)
    return results


def table(results: dict[str, Any]) -> str:
    lines = [f"{'action':<18}{'sockets':>8}{'p50_ms':>9}{'p95_ms':>9}{'max_ms':>9}  p95 target"]
    for action in ACTIONS:
        for count, row in results.items():
            cells = row["actions"][action]
            met = cells["p95_ms"] <= TARGET_P95_MS
            verdict = f"{'≤' if met else '>'} {TARGET_P95_MS:.0f} ms"
            figures = "".join(f"{cells[key]:>9}" for key in ("p50_ms", "p95_ms", "max_ms"))
            lines.append(f"{action:<18}{count:>8}{figures}  {verdict}")
    fetches = ", ".join(f"{count}: {row['fetches']}" for count, row in results.items())
    lines.append(f"fragments fetched by the screens (--fetch), per socket count: {fetches}")
    messages = ", ".join(f"{count}: {row['messages']}" for count, row in results.items())
    lines.append(f"messages received by the screens, per socket count: {messages}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    add = parser.add_argument
    add("--repeat", type=int, default=30, help="rounds of every action measured (default 30)")
    add("--warmup", type=int, default=2, help="rounds not measured, first")
    add("--sockets", default="0,50", help="comma-separated counts of connected screens")
    add("--gap", type=float, default=0.05, help="pause after each action, s")
    add("--database", choices=("sqlite", "postgresql"), default="sqlite", help="default sqlite")
    add("--pg-url", default=PG_URL, help="the PostgreSQL database made and dropped here")
    add("--redis-url", default="", help="share events over this Redis (default: in-process)")
    add("--fetch", action="store_true", help="screens re-fetch their fragments, as live.js")
    add("--spread", type=float, default=SPREAD_MS, help="--fetch within this many ms (1500)")
    add("--quick", action="store_true", help="3 rounds, 0 and 5 sockets (a smoke run)")
    add("--keep-log", action="store_true", help="print the server's log at the end")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.warmup, args.sockets, args.gap = 3, 1, "0,5", 0.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_nofile()
    counts = [int(part) for part in args.sockets.split(",") if part.strip()]
    results = run(args, counts, lambda text: print(text, file=sys.stderr, flush=True))
    print(table(results))
    print(
        json.dumps({count: row["actions"] for count, row in results.items()}, separators=(",", ":"))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
