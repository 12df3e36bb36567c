"""Rendering pages: the template environment, the language, the CSRF token, flash messages."""

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import SQLModel

from models.base import as_utc
from web.deps import language_of
from web.i18n import LANGUAGE_NAMES, set_language_cookie
from web.state import AppState

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
# Vietnam keeps UTC+7 all year (no daylight saving); times are stored in UTC.
VIETNAM = timezone(timedelta(hours=7), "ICT")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark a string for translation where it is defined; templates translate it with _()."""
    return message


# Flash messages by key: a link cannot make the page say anything else.
FLASH = {
    "person_created": N_("The person was added."),
    "meeting_created": N_("The meeting was created."),
    "meeting_saved": N_("The meeting details were saved."),
    "status_changed": N_("The meeting status was changed."),
    "item_added": N_("The agenda item was added."),
    "item_moved": N_("The agenda was reordered."),
    "item_deleted": N_("The agenda item was removed."),
    "invited": N_("The invitation was added."),
    "uninvited": N_("The invitation was withdrawn."),
    "uploaded": N_("The document was uploaded."),
    "version_uploaded": N_("A new version was uploaded."),
    "published": N_("The document was published to the invitees."),
    "document_deleted": N_("The document was removed."),
    "replied": N_("Your reply was recorded."),
    "mail_sent": N_("The invitations were e-mailed."),
    "mail_none": N_("Every invitee with an e-mail address has already been sent the invitation."),
    "mail_failed": N_("Some e-mails could not be sent; the list of invitations shows which."),
    "mail_off": N_("E-mail is not set up on this server (HOP_SMTP_HOST)."),
    "device_revoked": N_("The device was revoked: its screens are closed."),
    "device_paired": N_("The screen was paired: it opens its page within a few seconds."),
}


def format_datetime(value: datetime | None, pattern: str = "%d/%m/%Y %H:%M") -> str:
    """A stored (UTC) time as Vietnam's local time."""
    if value is None:
        return ""
    return as_utc(value).astimezone(VIETNAM).strftime(pattern)


def datetime_local(value: datetime | None) -> str:
    """The value of an <input type="datetime-local"> in Vietnam's time."""
    return format_datetime(value, "%Y-%m-%dT%H:%M")


def format_size(size: int) -> str:
    """A file size people read: 12 KB, 3.4 MB."""
    amount = float(size)
    for unit in ("B", "KB", "MB"):
        if amount < 1024:
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GB"


def maxlength(column: str) -> int:
    """The length limit of a stored text column ("table.column"), for a form field's maxlength:
    the browser refuses what the database would, before the submit."""
    table, name = column.split(".")
    length = getattr(SQLModel.metadata.tables[table].c[name].type, "length", None)
    if not isinstance(length, int):
        raise KeyError(f"{column} has no length limit")
    return length


TEMPLATES.env.filters["datetime"] = format_datetime
TEMPLATES.env.filters["datetime_local"] = datetime_local
TEMPLATES.env.filters["filesize"] = format_size
TEMPLATES.env.globals["maxlength"] = maxlength


def _language_urls(request: Request) -> dict[str, str]:
    # The same page in each language, keeping its other query parameters but the flash.
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in {"lang", "msg"}]
    return {
        code: f"{request.url.path}?{urlencode([*kept, ('lang', code)])}" for code in LANGUAGE_NAMES
    }


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render a template with the language, translations, CSRF token and current user."""
    state: AppState = request.app.state.hop
    lang = language_of(request)
    values = {
        "request_path": request.url.path,
        "lang": lang,
        "languages": LANGUAGE_NAMES,
        "language_urls": _language_urls(request),
        "_": state.translator.gettext(lang),
        "ngettext": state.translator.ngettext(lang),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "user": getattr(request.state, "person", None),
        "flash": FLASH.get(request.query_params.get("msg") or ""),
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, name, values, status_code=status)
    if request.query_params.get("lang") in LANGUAGE_NAMES:
        set_language_cookie(response, request, lang)
    return response


def redirect(path: str, msg: str | None = None, *, anchor: str = "") -> RedirectResponse:
    """A 303 to a page after a form post, with a flash message key and a section to show."""
    assert msg is None or msg in FLASH, msg
    query = f"?{urlencode({'msg': msg})}" if msg else ""
    return RedirectResponse(f"{path}{query}{'#' + anchor if anchor else ''}", status_code=303)


def render_error(request: Request, *, status: int, detail: str) -> HTMLResponse:
    """The error page."""
    return render(request, "pages/error.html", {"status": status, "detail": detail}, status=status)
