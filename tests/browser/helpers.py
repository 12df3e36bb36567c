"""What the browser journeys share: the browser and server settings, logging in, a small PDF,
and the secretariat's API calls."""

import io
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import (
    APIRequestContext,
    Browser,
    BrowserContext,
    Locator,
    Page,
    Playwright,
    expect,
)

from bench._servers import Server as BenchServer

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-dev-shm-usage",
]


def launch_with_camera(playwright: Playwright, video: Path) -> Browser:
    """A Chromium of its own whose camera plays `video` (a y4m: tests/browser/fake_camera.py)."""
    fake_camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *fake_camera]
    )


PASSWORD = "browser-demo-2026"
SECRET_KEY = "browser-test-secret-key-0123456789-abcdefghij"
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 1024, "height": 768}
NewContext = Callable[..., BrowserContext]


class Server(BenchServer):
    """The bench's uvicorn process, ready when started (the journeys restart it mid-test)."""

    def start(self) -> None:
        super().start()
        self.wait_ready()


def hop(env: dict[str, str], *args: str) -> None:
    """Run a `hop` command (migrate, demo, create-user…) against a test server's database."""
    command = [sys.executable, "-c", "from cli.main import main; main()", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"hop {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF saying text (ASCII: reportlab's standard fonts have no Vietnamese)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("Helvetica-Bold", 18)
    page.drawString(72, 760, text)
    page.setFont("Helvetica", 12)
    page.drawString(72, 730, "Hop browser test document.")
    page.save()
    return buffer.getvalue()


def log_in(page: Page, username: str, *, landing: str) -> None:
    """Log in through the login page and wait for the page it lands on."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"**{landing}")


def mark_page(page: Page) -> None:
    """Tag the loaded document, to tell later that the page was not reloaded."""
    page.evaluate("window.__hopNoReload = true")


def expect_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__hopNoReload === true"), "the page was reloaded"


def expect_live(page: Page) -> None:
    """The live client has its websocket open."""
    expect(page.locator("body.live-connected")).to_have_count(1, timeout=15_000)


class Secretariat:
    """The JSON API as `thuky`, through a browser context's request client (cookies shared)."""

    def __init__(self, context: BrowserContext, username: str = "thuky") -> None:
        self.request: APIRequestContext = context.request
        self.headers = {"x-csrf-token": api_log_in(context, username)}

    def post(self, path: str, **kwargs: Any) -> Any:
        answer = self.request.post(path, headers=self.headers, **kwargs)
        assert answer.ok, f"POST {path}: {answer.status} {answer.text()}"
        return answer.json()

    def meeting_id(self, title_start: str) -> int:
        """A meeting (of the demo) by the start of its title."""
        answer = self.request.get("/api/meetings", params={"limit": 500})
        assert answer.ok, answer.text()
        ids = [m["id"] for m in answer.json()["items"] if m["title"].startswith(title_start)]
        assert len(ids) == 1, f"{len(ids)} meetings start with {title_start!r}"
        return int(ids[0])

    def person(self, username: str) -> dict[str, Any]:
        answer = self.request.get("/api/people", params={"q": username})
        assert answer.ok, answer.text()
        found = [p for p in answer.json()["items"] if p["username"] == username]
        assert found, f"no person {username}"
        return dict(found[0])

    def person_id(self, username: str) -> int:
        return int(self.person(username)["id"])

    def create_meeting(self, title: str, invitees: list[str], chair: str | None = None) -> int:
        """A meeting tomorrow with one agenda item and these delegates invited."""
        start = datetime.now(UTC) + timedelta(days=1)
        meeting = self.post(
            "/api/meetings",
            data={
                "title": title,
                "start_at": start.isoformat(),
                "end_at": (start + timedelta(hours=2)).isoformat(),
                "location": "Phòng họp tầng 2",
                "chair_id": self.person_id(chair) if chair else None,
            },
        )
        meeting_id = int(meeting["id"])
        self.post(f"/api/meetings/{meeting_id}/agenda", data={"title": "Thảo luận"})
        for seat, username in enumerate(invitees, start=1):
            person_id = self.person_id(username)
            self.post(
                f"/api/meetings/{meeting_id}/invitations",
                data={"person_id": person_id, "seat_label": f"B{seat}"},
            )
        return meeting_id

    def publish_pdf(self, meeting_id: int, title: str) -> int:
        """Upload a PDF to the meeting and publish it; the document's id."""
        document = self.post(
            f"/api/meetings/{meeting_id}/documents",
            multipart={
                "title": title,
                "file": {
                    "name": "tai-lieu.pdf",
                    "mimeType": "application/pdf",
                    "buffer": pdf_bytes(title),
                },
            },
        )
        self.post(f"/api/documents/{document['id']}/publish")
        return int(document["id"])

    def projector_token(self, meeting_id: int) -> str:
        return self.device_token(meeting_id, "projector", "Máy chiếu hội trường")

    def device_token(self, meeting_id: int, kind: str, name: str) -> str:
        """A bearer token for a kiosk or projector of this meeting."""
        device = self.post(
            "/api/devices", data={"name": name, "kind": kind, "meeting_id": meeting_id}
        )
        return str(device["token"])

    def enrol(self, person_id: int, photos: list[Path]) -> None:
        """Record the person's consent and enrol these photos through the API."""
        self.post(f"/api/people/{person_id}/consent", data={"note": "browser test"})
        for photo in photos:
            self.post(
                f"/api/people/{person_id}/faces",
                multipart={
                    "photo": {
                        "name": photo.name,
                        "mimeType": "image/png" if photo.suffix == ".png" else "image/jpeg",
                        "buffer": photo.read_bytes(),
                    }
                },
                timeout=30_000,
            )

    def check_in(self, meeting_id: int, person_id: int) -> None:
        """A manual check-in at the desk."""
        self.post(
            f"/api/meetings/{meeting_id}/attendance",
            data={"person_id": person_id, "action": "check_in", "reason": "browser test"},
        )

    def attendance(self, meeting_id: int) -> dict[int, dict[str, Any]]:
        """Every invitee's attendance row, by person id."""
        answer = self.request.get(f"/api/meetings/{meeting_id}/attendance")
        assert answer.ok, answer.text()
        return {int(row["person_id"]): row for row in answer.json()["people"]}


def wait_until(page: Page, condition: Callable[[], bool], timeout_ms: int = 10_000) -> None:
    """Let the page run (and Playwright deliver its events) until condition holds."""
    waited = 0
    while not condition():
        assert waited < timeout_ms, "timed out waiting"
        page.wait_for_timeout(50)
        waited += 50


def api_log_in(context: BrowserContext, username: str) -> str:
    """Log the context in through the API (quicker than the form); the CSRF token to echo."""
    answer = context.request.post("/api/login", data={"username": username, "password": PASSWORD})
    assert answer.ok, answer.text()
    return str(answer.json()["csrf_token"])


def open_room(context: BrowserContext, username: str, meeting_id: int) -> Page:
    """A delegate's tablet with the meeting room open and following the meeting live."""
    api_log_in(context, username)
    page = context.new_page()
    page.goto(f"/room/{meeting_id}")
    expect_live(page)
    mark_page(page)
    return page


# The demo's two meetings: the thematic session later today and the regular session.
THEMATIC = "Phiên họp chuyên đề"
REGULAR = "Kỳ họp thường kỳ"


def document_item(page: Page, title: str) -> Locator:
    """A document in the room's list."""
    return page.locator(".doc-list .doc", has_text=title)


APPROVAL = "Thông qua Nghị quyết về chỉnh trang vỉa hè"


def voting_meeting(staff: Secretariat, title: str, delegates: tuple[str, ...]) -> int:
    """A meeting in progress, chaired by `chutri`, with these delegates invited and checked in
    by hand (votes open only in a running meeting: meetings.lifecycle)."""
    meeting_id = staff.create_meeting(title, list(delegates), chair="chutri")
    for status in ("scheduled", "in_progress"):
        staff.post(f"/api/meetings/{meeting_id}/status", data={"status": status})
    for username in delegates:
        staff.check_in(meeting_id, staff.person_id(username))
    return meeting_id


def open_poll(staff: Secretariat, meeting_id: int) -> int:
    """A yes/no/abstain poll, opened (through the API); its id."""
    poll = staff.post(
        f"/api/meetings/{meeting_id}/polls", data={"title": APPROVAL, "kind": "yes_no"}
    )
    staff.post(f"/api/polls/{poll['id']}/open")
    return int(poll["id"])
