"""Every text field has the length limit of its column, so the browser refuses what the server
would; a too-long value posted anyway is a clear 4xx in the page's language and changes nothing."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import Meeting
from web.pages.render import maxlength

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
TEXT_TYPES = frozenset({"", "text", "search", "email", "tel", "url", "password"})
MACRO_CALL = re.compile(r"\bm\.input\((.*?)\)\s*}}", re.DOTALL)
TYPE_ARGUMENT = re.compile(r"""\btype=["'](\w[\w-]*)["']""")
TYPE_ATTRIBUTE = re.compile(r"""\btype=["']([^"']*)["']""")


def tags(text: str) -> Iterator[tuple[int, str]]:
    """Each <input …> and <textarea …> opening tag (Jinja inside it kept whole), by line."""
    for match in re.finditer(r"<(input|textarea)\b", text):
        depth, end = 0, match.end()
        while end < len(text):
            pair = text[end : end + 2]
            if pair in ("{{", "{%"):
                depth, end = depth + 1, end + 2
                continue
            if pair in ("}}", "%}"):
                depth, end = depth - 1, end + 2
                continue
            if text[end] == ">" and depth == 0:
                break
            end += 1
        yield text.count("\n", 0, match.start()) + 1, text[match.start() : end + 1]


def unlimited_fields() -> list[str]:
    """Text fields without a maxlength, as template:line: tag."""
    found: list[str] = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(TEMPLATES))
        for line, tag in tags(text):
            kind = TYPE_ATTRIBUTE.search(tag)
            textish = tag.startswith("<textarea") or (kind.group(1) if kind else "") in TEXT_TYPES
            # The input macro's own tag takes its maxlength from the attrs of each call.
            macro = name == "macros.html" and "attrs.items()" in tag
            if textish and "maxlength" not in tag and not macro:
                found.append(f"{name}:{line}: {tag[:100]}")
        for call in MACRO_CALL.finditer(text):
            kind = TYPE_ARGUMENT.search(call.group(1))
            textish = (kind.group(1) if kind else "text") in TEXT_TYPES
            if textish and "maxlength" not in call.group(1):
                line = text.count("\n", 0, call.start()) + 1
                found.append(f"{name}:{line}: {call.group(0)[:100]}")
    return found


def test_the_scan_finds_fields() -> None:
    sample = '<input id="a" name="a"{% if x > 1 %} required{% endif %}>\n<textarea name="b">'
    assert [tag for _, tag in tags(sample)] == [
        '<input id="a" name="a"{% if x > 1 %} required{% endif %}>',
        '<textarea name="b">',
    ]


def test_every_text_field_has_a_maxlength() -> None:
    assert unlimited_fields() == []


def test_maxlength_reads_the_column() -> None:
    assert maxlength("meeting.title") == 300
    assert maxlength("agenda_item.title") == 500
    with pytest.raises(KeyError):
        maxlength("meeting.start_at")


def form_post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    client.headers.pop("x-csrf-token", None)
    fields = {"csrf_token": client.cookies.get("hop_csrf"), **data}
    return client.post(url, data=fields, follow_redirects=False)


def test_a_too_long_meeting_title_is_refused_beside_the_field(
    clerk_client: TestClient, session: Session
) -> None:
    before = len(session.exec(select(Meeting)).all())
    response = form_post(
        clerk_client,
        "/meetings",
        {
            "title": "H" * 5000,
            "start_at": "2031-05-01T08:00",
            "end_at": "2031-05-01T11:00",
        },
    )
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text  # toast.js scrolls to it and focuses it
    assert "Giá trị quá dài." in response.text
    assert len(session.exec(select(Meeting)).all()) == before


def test_a_too_long_login_is_a_vietnamese_422(client: TestClient) -> None:
    client.get("/login")
    response = form_post(client, "/login", {"username": "u" * 5000, "password": "x"})
    assert response.status_code == 422
    assert "Tên đăng nhập: dài quá 64 ký tự cho phép." in response.text
    assert "String should have" not in response.text
