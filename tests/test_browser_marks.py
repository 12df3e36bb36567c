"""Every browser test is marked so: the PostgreSQL pass (`-m "not browser"`) must start no
browser, and a browser left running in a session breaks the later tests' asyncio.run()."""

import importlib
from pathlib import Path

import pytest

BROWSER_TESTS = Path(__file__).parent / "browser"


def marks_of(module_name: str) -> list[str]:
    module = importlib.import_module(f"tests.browser.{module_name}")
    marks = getattr(module, "pytestmark", [])
    return [mark.name for mark in (marks if isinstance(marks, list) else [marks])]


@pytest.mark.parametrize("name", [path.stem for path in sorted(BROWSER_TESTS.glob("test_*.py"))])
def test_every_browser_test_module_is_marked_browser(name: str) -> None:
    assert "browser" in marks_of(name)
