"""The minutes page guards the finalise button while the draft form has unsaved edits: a
static script (the CSP allows no inline handler) and the data attributes it follows."""

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Meeting, Person
from records import minutes


def test_the_draft_page_loads_the_guard_and_marks_what_it_guards(
    session: Session, clerk_client: TestClient, clerk: Person, meeting: Meeting
) -> None:
    minutes.draft_minutes(session=session, meeting=meeting, author=clerk)
    page = clerk_client.get(f"/meetings/{meeting.id}/minutes").text
    assert '<script src="/static/minutes.js" defer></script>' in page
    assert re.search(r'<form [^>]*action="/meetings/\d+/minutes/save"[^>]*data-unsaved-guard', page)
    finalise = re.search(r'action="/meetings/\d+/minutes/finalise".*?</form>', page, re.S)
    assert finalise is not None
    assert re.search(r"<button [^>]*data-needs-saved", finalise.group(0))
    assert re.search(r"<p [^>]*data-unsaved-note[^>]*hidden", page)


def test_the_guard_script_is_served_and_follows_the_form(client: TestClient) -> None:
    script = client.get("/static/minutes.js")
    assert script.status_code == 200
    for hook in ("data-unsaved-guard", "data-needs-saved", "data-unsaved-note", '"input"'):
        assert hook in script.text
