"""Rendering pages: the template environment, the language, the CSRF token, flash messages."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from models.base import as_utc
from web.i18n import LANGUAGE_NAMES, pick_language
from web.state import AppState

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
LANG_COOKIE = "hop_lang"


def _format_datetime(value: Any, pattern: str = "%d/%m/%Y %H:%M") -> str:
    if value is None:
        return ""
    # Stored in UTC; shown in Vietnam's time (UTC+7, no daylight saving).
    from datetime import timedelta, timezone

    return as_utc(value).astimezone(timezone(timedelta(hours=7))).strftime(pattern)


def _format_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"


TEMPLATES.env.filters["datetime"] = _format_datetime
TEMPLATES.env.filters["filesize"] = _format_size


def language_of(request: Request) -> str:
    state: AppState = request.app.state.hop
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        state.settings.default_language,
    )


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render a template with the language, translations, CSRF token and current user."""
    state: AppState = request.app.state.hop
    lang = language_of(request)
    values = {
        "lang": lang,
        "languages": LANGUAGE_NAMES,
        "_": state.translator.gettext(lang),
        "ngettext": state.translator.ngettext(lang),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "user": getattr(request.state, "person", None),
        "flash": request.query_params.get("msg"),
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, name, values, status_code=status)
    if request.query_params.get("lang") in LANGUAGE_NAMES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def render_error(request: Request, *, status: int, detail: str) -> HTMLResponse:
    """The error page."""
    return render(request, "pages/error.html", {"status": status, "detail": detail}, status=status)
