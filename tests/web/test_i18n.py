"""The gettext catalogues: every string the pages show has a Vietnamese translation."""

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from web.i18n import LOCALE_DIR, Translator, pick_language
from web.pages.render import FLASH

WEB = Path(__file__).resolve().parents[2] / "web"
# _("…") or _('…') in templates; N_("…" "…") in the page modules (implicit concatenation).
TEMPLATE_CALL = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")
MARKED = re.compile(r"""\bN_\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)""")
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def template_strings() -> set[str]:
    found: set[str] = set()
    for path in WEB.glob("templates/**/*.html"):
        for match in TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) if match.group(1) is not None else match.group(2))
    return found


def marked_strings() -> set[str]:
    found: set[str] = set()
    for path in WEB.glob("pages/*.py"):
        for match in MARKED.finditer(path.read_text(encoding="utf-8")):
            found.add("".join(STRING.findall(match.group(1))))
    return found


def catalog(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def translations(language: str) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog(language) if m.id and not m.fuzzy}


def test_the_extraction_finds_the_strings() -> None:
    strings = template_strings()
    assert {"Main menu", "Log in", "Meeting room", "Upload"} <= strings
    assert set(FLASH.values()) <= marked_strings()
    assert "This field is required." in marked_strings()


def test_every_page_string_has_a_vietnamese_translation() -> None:
    vi = translations("vi")
    wanted = template_strings() | marked_strings()
    missing = sorted(text for text in wanted if not vi.get(text))
    assert missing == []


def test_the_vietnamese_catalogue_has_no_stale_entries() -> None:
    unused = sorted(set(translations("vi")) - template_strings() - marked_strings())
    assert unused == []


def test_vietnamese_translations_are_vietnamese() -> None:
    vi = translations("vi")
    for source, text in vi.items():
        assert text != source, source
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), source
    # Written with diacritics, not in plain ASCII ("Trang 2/2" is fine, a whole catalogue is not).
    plain = [text for text in vi.values() if not re.search(r"[^\x00-\x7f]", text)]
    assert len(plain) <= len(vi) // 50, plain


def test_the_english_catalogue_lists_the_same_strings() -> None:
    assert set(translations("en")) >= set(translations("vi"))
    assert all(not text or "%(" not in text for text in translations("en").values())


def test_translator_by_language() -> None:
    translator = Translator()
    assert translator.gettext("vi")("Meeting room") == "Phòng họp"
    assert translator.gettext("en")("Meeting room") == "Meeting room"
    assert translator.gettext("xx")("Log in") == "Đăng nhập"  # unknown: Vietnamese


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, "vi"),
        ("en", None, None, "en"),
        (None, "en", None, "en"),
        ("vi", "en", None, "vi"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "vi-VN,vi;q=0.9,en;q=0.8", "vi"),
        ("fr", None, None, "vi"),
    ],
)
def test_pick_language(
    query: str | None, cookie: str | None, accept: str | None, expected: str
) -> None:
    assert pick_language(query, cookie, accept, "vi") == expected


def test_login_page_in_both_languages(client: TestClient) -> None:
    default = client.get("/login")
    assert '<html lang="vi">' in default.text
    assert "Tên đăng nhập" in default.text
    english = client.get("/login?lang=en")
    assert '<html lang="en">' in english.text
    assert "Username" in english.text
    assert english.cookies.get("hop_lang") == "en"
    assert "Username" in client.get("/login").text  # remembered
    assert "Tên đăng nhập" in client.get("/login?lang=vi").text


def test_error_page_is_translated(client: TestClient) -> None:
    assert "Không tìm thấy" in client.get("/no-such-page").text
    assert "Not found" in client.get("/no-such-page?lang=en").text
