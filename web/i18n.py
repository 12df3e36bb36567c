"""Vietnamese (default) and English from gettext catalogues under web/locale."""

import functools
import gettext
import io
from collections.abc import Callable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import Request
from starlette.responses import Response

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("vi", "en")
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
LANG_COOKIE = "hop_lang"
LANG_COOKIE_AGE = 365 * 86400  # seconds


def _load(language: str) -> gettext.NullTranslations:
    po_path = _po_path(language)
    if not po_path.exists():
        return gettext.NullTranslations()
    return _compiled(language, po_path.stat().st_mtime_ns)


def _po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


@functools.lru_cache(maxsize=8)
def _compiled(language: str, mtime_ns: int) -> gettext.GNUTranslations:
    """The catalogue compiled once per process and version of its file: parsing the .po files
    was most of an app's start (every test starts one)."""
    with _po_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """The catalogues compiled once; gettext per language."""

    def __init__(self) -> None:
        self._catalogs = {language: _load(language) for language in LANGUAGES}

    def gettext(self, language: str) -> Callable[[str], str]:
        catalog = self._catalogs.get(language, self._catalogs["vi"])
        return catalog.gettext

    def ngettext(self, language: str) -> Callable[[str, str, int], str]:
        catalog = self._catalogs.get(language, self._catalogs["vi"])
        return catalog.ngettext


def pick_language(
    query: str | None,
    cookie: str | None,
    accept: str | None,
    default: str,
    *,
    account: str | None = None,
    use_browser: bool = True,
) -> str:
    """The language asked for in the URL, then the one kept on the person's account, then the
    cookie, then (when `use_browser`) the browser's, then the default."""
    for candidate in (query, account, cookie):
        if candidate in LANGUAGES:
            return candidate
    if accept and use_browser:
        first = accept.split(",")[0].strip().lower()[:2]
        if first in LANGUAGES and first != default and default not in accept:
            return first
    return default


def set_language_cookie(response: Response, request: Request, language: str) -> None:
    """This browser shows the pages in `language` from now on."""
    secure = request.url.scheme == "https"
    response.set_cookie(
        LANG_COOKIE, language, max_age=LANG_COOKIE_AGE, samesite="lax", secure=secure
    )
