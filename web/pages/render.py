"""Rendering pages: the template environment, the language, the CSRF token, flash messages."""

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import SQLModel

from models import QuorumStatus
from models.base import as_utc
from voting import rules
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
    "item_saved": N_("The agenda item was saved."),
    "invitation_saved": N_("The invitation was changed."),
    "invited_many": N_("Everyone chosen was invited."),
    "invited_some": N_("Invited; those already invited or inactive were skipped."),
    "invited_none": N_("Nobody new was invited: everyone chosen is already invited or inactive."),
    "person_saved": N_("The person's details were saved."),
    "person_deactivated": N_("The account was deactivated: it is logged out everywhere."),
    "person_reactivated": N_("The account was reactivated."),
    "password_set": N_("The new password was set; the person's other sessions were ended."),
}


# Flash messages that report a problem: their toast stays until it is closed.
FLASH_PROBLEMS = frozenset(
    {
        "mail_failed",
        "mail_off",
        "speech_not_present",
        "speech_duplicate",
        "speech_refused",
        "status_refused",
    }
)


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


def quorum_state(quorum: QuorumStatus) -> str:
    """What a screen says of a poll's quorum (voting.rules.quorum_state): met, not met, none
    needed, or no one to count."""
    return str(
        rules.quorum_state(required=quorum.required, present=quorum.present, members=quorum.members)
    )


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
TEMPLATES.env.filters["quorum_state"] = quorum_state


def _language_urls(request: Request) -> dict[str, str]:
    # The same page in each language, keeping its other query parameters but the flash.
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in {"lang", "msg"}]
    return {
        code: f"{request.url.path}?{urlencode([*kept, ('lang', code)])}" for code in LANGUAGE_NAMES
    }


def page_gettext(gettext: Callable[[str], str], lang: str) -> Callable[[str], str]:
    """A page's _(): the catalogue, and for a message it lacks (an error's detail beside a
    form field) the table of error messages. In English only a marked Detail needs the table:
    every other untranslated text is English already, and _() runs for every string."""
    from web.pages import error_words

    def translate(text: str) -> str:
        said = gettext(text)
        if said != text or (lang == "en" and not isinstance(text, error_words.Detail)):
            return said
        found = error_words.translate(text, gettext)
        if found is not None:
            return found
        fallback = getattr(text, "fallback", None)
        return gettext(fallback) if fallback and lang != "en" else said

    return translate


def _flash(request: Request) -> dict[str, str] | None:
    # A message key from the redirect: said as a toast, a problem one until it is closed.
    key = request.query_params.get("msg") or ""
    if key not in FLASH:
        return None
    return {"text": FLASH[key], "kind": "problem" if key in FLASH_PROBLEMS else "done"}


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
        "_": page_gettext(state.translator.gettext(lang), lang),
        "ngettext": state.translator.ngettext(lang),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "user": getattr(request.state, "person", None),
        "flash": _flash(request),
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


def render_error(
    request: Request, *, status: int, detail: str, problems: list[str] | None = None
) -> HTMLResponse:
    """The error page, in the page's language: the detail translated (or the problems of a
    form, already translated), else a general sentence for the status with the English
    original folded away for whoever supports the server."""
    from web.pages import error_words

    state: AppState = request.app.state.hop
    lang = language_of(request)
    gettext = state.translator.gettext(lang)
    found = error_words.translate(detail, gettext)
    if found is None and lang == "en":
        found = detail  # an English detail the table lacks is still English
    context = {
        "status": status,
        "title": error_words.title(status, gettext),
        "said": problems or [found or error_words.generic(status, gettext)],
        "original": "" if problems or found else detail,
        "back": _back_link(request),
    }
    return render(request, "pages/error.html", context, status=status)


def _back_link(request: Request) -> str:
    # Back to the page the person came from, when it is one of ours.
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path.startswith("/"):
        return ""
    return referer.path + (f"?{referer.query}" if referer.query else "")
