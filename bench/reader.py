"""The delegate's reader benchmark: first page shown, meeting search, notes carried.

    .venv/bin/python -m bench.reader [--pages 100] [--picture-kb 260] [--runs 5]
                                     [--documents 30] [--queries 200] [--notes 1000]
                                     [--database postgresql] [--quick]

Three parts, each on a fresh migrated database (SQLite, or --database postgresql):

- first page: a PDF of --pages pages (text plus an incompressible picture per page, about
  20 MB) is uploaded and published; a real uvicorn server serves it and Debian's Chromium,
  with a tablet's profile (1024x768, touch), opens the reader page in a new browser context
  each run. Measured: from the navigation's start until PDF.js has drawn the first page (its
  page view says data-loaded), p50 and max over --runs.
- search: a meeting of --documents published PDFs of 20 pages each, indexed; --queries
  accent-less queries of one or two words (as a delegate types them) through
  meetings.search.search, server side, p50/p95/max.
- re-anchoring: --notes notes (highlights with quote, prefix, suffix) on a document of
  --pages pages; a new version moves every page's text down by some lines (so a tenth of
  the quotes land on the next page), edits some quoted words and deletes others; then
  meetings.notes.carry_notes carries them all: its time, and how many were found again.

A table, then as the last line one JSON object of the figures.
"""

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench._pdfs import page_lines, pdf_of
from bench._servers import (
    PASSWORD,
    Server,
    clerk_and_meeting,
    free_port,
    fresh_database,
    hop_env,
    populated,
)

PG_URL = "postgresql://postgres@127.0.0.1:5432/hop_bench_reader"
TARGETS = {"first_page_p50_ms": 1500.0, "search_p95_ms": 100.0, "reanchor_ms": 1000.0}
SEARCH_PAGES = 20
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
READER_DRAWN = (
    "() => { const view = document.querySelector('.page[data-page-number=\"1\"]');"
    " return !!view && view.getAttribute('data-loaded') === 'true'"
    " && !!view.querySelector('canvas'); }"
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _figures(prefix: str, values_ms: list[float]) -> dict[str, float]:
    return {
        f"{prefix}_p50_ms": round(statistics.median(values_ms), 1),
        f"{prefix}_p95_ms": round(percentile(values_ms, 0.95), 1),
        f"{prefix}_max_ms": round(max(values_ms), 1),
    }


# The scene: a clerk, a delegate and a meeting they are invited to -----------------------


@contextmanager
def _workdir(args: argparse.Namespace) -> Iterator[tuple[Path, str]]:
    """A temporary folder and a fresh database of the chosen kind, gone after."""
    with (
        tempfile.TemporaryDirectory(prefix="hop-bench-reader-") as folder,
        fresh_database(args.database, Path(folder), args.pg_url) as url,
    ):
        yield Path(folder), url


def _meeting(session: Any) -> tuple[Any, Any, Any]:
    from meetings import people, scheduling
    from models import InvitationCreate, PersonCreate

    clerk, meeting = clerk_and_meeting(session, "Kỳ họp", hours_ahead=2)
    delegate = people.create_person(
        session=session,
        data=PersonCreate(username="daibieu", full_name="Đại biểu Một", password=PASSWORD),
    )
    assert delegate.id is not None
    scheduling.invite(
        session=session, meeting=meeting, data=InvitationCreate(person_id=delegate.id)
    )
    return clerk, delegate, meeting


def _uploads(data_dir: Path) -> Any:
    from meetings.documents import Uploads
    from meetings.storage import BlobStore
    from web.settings import DEFAULT_DOCUMENT_TYPES

    return Uploads(
        BlobStore(data_dir / "files"),
        max_bytes=200 * 1024 * 1024,
        allowed_types=list(DEFAULT_DOCUMENT_TYPES),
    )


def _publish(session: Any, uploads: Any, meeting: Any, clerk: Any, pdf: bytes, title: str) -> Any:
    from meetings import doctext
    from meetings import documents as docs

    document = docs.add_document(
        session=session,
        uploads=uploads,
        meeting=meeting,
        title=title,
        source=io.BytesIO(pdf),
        filename="tai-lieu.pdf",
        uploader=clerk,
    )
    docs.publish_document(session=session, document=document)
    doctext.index_version(
        session, docs.get_version(session=session, document=document), store=uploads.store
    )
    return document


# First page shown in Chromium ------------------------------------------------------------


def first_page(args: argparse.Namespace, note: Callable[[str], None]) -> dict[str, float]:
    from bench._pdfs import long_pdf

    note(f"first page: making a {args.pages}-page PDF…")
    pdf = long_pdf(args.pages, picture_kb=args.picture_kb)
    with _workdir(args) as (workdir, url):
        data_dir = workdir / "var"

        def populate(session: Any) -> tuple[int, int, str]:
            from web.auth import start_session

            clerk, delegate, meeting = _meeting(session)
            uploads = _uploads(data_dir)
            document = _publish(session, uploads, meeting, clerk, pdf, "Phụ lục 100 trang")
            return meeting.id, document.id, start_session(session, person=delegate, hours=3)

        meeting_id, document_id, token = populated(url, populate)
        env = hop_env(url, data_dir, HOP_MAX_UPLOAD_MB="200")
        server = Server(env, free_port(), workdir / "server.log")
        server.start()
        try:
            server.wait_ready()
            reader = f"/room/{meeting_id}/documents/{document_id}"
            times = _open_reader(server.url, reader, token, args.runs, note)
        finally:
            server.stop()
    figures = _figures("first_page", times)
    figures["pdf_mb"] = round(len(pdf) / 1e6, 1)
    figures["pdf_pages"] = args.pages
    return figures


def _open_reader(
    site: str, path: str, token: str, runs: int, note: Callable[[str], None]
) -> list[float]:
    from playwright.sync_api import sync_playwright

    from web.auth import SESSION_COOKIE

    times: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for run in range(runs + 1):  # the first run warms the server and the disk cache
                context = browser.new_context(
                    viewport={"width": 1024, "height": 768},
                    has_touch=True,
                    locale="vi-VN",
                    service_workers="block",  # every run loads the PDF over the network
                )
                # The cookie is the site's (path /), as a login sets it: the reader's page and
                # the PDF it fetches from /api both carry it.
                context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": site + "/"}])
                page = context.new_page()
                page.goto(site + path, wait_until="commit")
                page.wait_for_function(READER_DRAWN, polling="raf", timeout=60_000)
                shown = page.evaluate("performance.now()")
                if run:
                    times.append(float(shown))
                    note(f"first page: run {run}: {shown:.0f} ms")
                context.close()
        finally:
            browser.close()
    return times


# Search over a meeting's documents -----------------------------------------------------


def search(args: argparse.Namespace, note: Callable[[str], None]) -> dict[str, float]:
    from meetings import fold
    from meetings import search as meeting_search

    with _workdir(args) as (workdir, url):
        uploads = _uploads(workdir / "var")

        def populate(session: Any) -> dict[str, float]:
            clerk, delegate, meeting = _meeting(session)
            for n in range(args.documents):
                pages = [page_lines(n * 1000 + p) for p in range(SEARCH_PAGES)]
                _publish(session, uploads, meeting, clerk, pdf_of(pages), f"Tài liệu {n + 1}")
            note(f"search: {args.documents} documents indexed; {args.queries} queries…")
            pick = random.Random(7)
            words = [fold.fold(word) for word in page_lines(1, 40)[0].split()]
            times: list[float] = []
            hits = 0
            for _ in range(args.queries):
                query = " ".join(pick.sample(words, pick.choice((1, 2))))
                started = time.perf_counter()
                found = meeting_search.search(session, meeting, delegate, query)
                times.append((time.perf_counter() - started) * 1000)
                hits += bool(found)
            figures = _figures("search", times)
            figures["search_queries_with_hits"] = hits
            return figures

        figures = populated(url, populate)
    figures["search_documents"] = args.documents
    figures["search_pages"] = args.documents * SEARCH_PAGES
    return figures


# Notes carried to a new version ----------------------------------------------------------


def reanchor(args: argparse.Namespace, note: Callable[[str], None]) -> dict[str, float]:
    with _workdir(args) as (workdir, url):
        uploads = _uploads(workdir / "var")
        figures = populated(url, lambda session: _carry(session, uploads, args, note))
    return figures


def _carry(session: Any, uploads: Any, args: argparse.Namespace, note: Callable[..., None]) -> Any:
    from sqlmodel import select

    from meetings import doctext, notes
    from meetings import documents as docs
    from models import AnchorState, Note, NoteKind

    clerk, delegate, meeting = _meeting(session)
    old = [[f"Trang {p + 1}", *page_lines(p)] for p in range(args.pages)]
    document = _publish(session, uploads, meeting, clerk, pdf_of(old), "Dự thảo")
    pick = random.Random(11)
    edited: set[tuple[int, int]] = set()
    quoted: list[tuple[int, int]] = []
    new = [list(lines) for lines in old]
    for n in range(args.notes):
        page = pick.randrange(args.pages)
        row = pick.randrange(1, len(old[page]))
        line = old[page][row]
        words = line.split()
        exact = " ".join(words[2:6])
        session.add(
            Note(
                client_id=f"bench-{n}",
                person_id=delegate.id,
                meeting_id=meeting.id,
                document_id=document.id,
                kind=NoteKind.highlight,
                made_on_version=1,
                version_number=1,
                page=page + 1,
                exact=exact,
                prefix=" ".join(words[:2]),
                suffix=" ".join(words[6:]),
                body=f"Ghi chú {n}",
            )
        )
        quoted.append((page, row))
        if n % 20 == 0:  # a twentieth of the quoted lines are rewritten
            new[page][row] = " ".join(["sửa", *words[1:3], "đổi", *words[5:]])
            edited.add((page, row))
    session.commit()
    # Three lines more at the top of every page: the last three of each go to the next one.
    moved = [
        line for lines in new for line in ([lines[0], "Bổ sung", "Điều chỉnh", "Mới"] + lines[1:])
    ]
    per_page = len(old[0])
    new_pages = [moved[at : at + per_page] for at in range(0, len(moved), per_page)]
    docs.add_version(
        session=session,
        uploads=uploads,
        document=document,
        source=io.BytesIO(pdf_of(new_pages)),
        filename="du-thao-2.pdf",
        uploader=clerk,
    )
    doctext.index_version(
        session, docs.get_version(session=session, document=document), store=uploads.store
    )
    note(f"re-anchoring: {args.notes} notes across a new version…")
    started = time.perf_counter()
    notes.carry_notes(session, document)
    elapsed_ms = (time.perf_counter() - started) * 1000
    carried = session.exec(select(Note).where(Note.document_id == document.id)).all()
    found = sum(
        1 for row in carried if row.anchor == AnchorState.anchored and row.version_number == 2
    )
    return {
        "reanchor_ms": round(elapsed_ms, 1),
        "reanchor_notes": len(carried),
        "reanchor_found": found,
        "reanchor_changed": len(carried) - found,
        # Notes whose quoted line was rewritten (several notes may quote one line).
        "reanchor_edited_quotes": sum(1 for spot in quoted if spot in edited),
    }


# Report ------------------------------------------------------------------------------------


def table(figures: dict[str, Any]) -> str:
    rows = [
        ("first page shown (Chromium, tablet)", "first_page", "first_page_p50_ms", "p50"),
        ("search, server side", "search", "search_p95_ms", "p95"),
    ]
    lines = [f"{'measure':<40}{'p50_ms':>9}{'p95_ms':>9}{'max_ms':>9}  target"]
    for label, prefix, key, which in rows:
        if key not in figures:
            continue
        cells = "".join(f"{figures[f'{prefix}_{p}_ms']:>9}" for p in ("p50", "p95", "max"))
        met = "≤" if figures[key] <= TARGETS[key] else ">"
        lines.append(f"{label:<40}{cells}  {which} {met} {TARGETS[key]:.0f} ms")
    if "reanchor_ms" in figures:
        met = "≤" if figures["reanchor_ms"] <= TARGETS["reanchor_ms"] else ">"
        lines.append(
            f"{'re-anchoring ' + str(figures['reanchor_notes']) + ' notes':<40}"
            f"{figures['reanchor_ms']:>27}  {met} {TARGETS['reanchor_ms']:.0f} ms"
            f"  (found again {figures['reanchor_found']}, changed {figures['reanchor_changed']},"
            f" quotes edited {figures['reanchor_edited_quotes']})"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.reader", description=__doc__)
    add = parser.add_argument
    add("--pages", type=int, default=100, help="pages of the long document (100)")
    add("--picture-kb", type=int, default=260, help="picture per page, KB (260: ~20 MB)")
    add("--runs", type=int, default=5, help="reader openings measured (5)")
    add("--documents", type=int, default=30, help="documents searched (30)")
    add("--queries", type=int, default=200, help="search queries (200)")
    add("--notes", type=int, default=1000, help="notes carried to a new version (1000)")
    add("--parts", default="first_page,search,reanchor", help="which parts to run")
    add("--database", choices=("sqlite", "postgresql"), default="sqlite", help="default sqlite")
    add("--pg-url", default=PG_URL, help="the PostgreSQL database made and dropped here")
    add("--quick", action="store_true", help="a smoke run: small sizes")
    args = parser.parse_args(argv)
    if args.quick:
        args.pages, args.picture_kb, args.runs = 12, 20, 1
        args.documents, args.queries, args.notes = 3, 20, 60
    return args


PARTS = {"first_page": first_page, "search": search, "reanchor": reanchor}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures: dict[str, Any] = {}
    for part in args.parts.split(","):
        figures |= PARTS[part.strip()](args, lambda text: print(text, file=sys.stderr, flush=True))
    print(table(figures))
    print(json.dumps(figures, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
