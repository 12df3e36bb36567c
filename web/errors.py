"""One place that renders errors: JSON for the API, a page for people, a redirect to log in."""

import contextlib
import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import HopError
from models.db import OUT_OF_RANGE, OUT_OF_RANGE_DETAIL
from web.api_schema import document_errors
from web.audit_log import record_denied
from web.auth import login_url
from web.deps import get_state, language_of
from web.ratelimit import RateLimitedError

log = logging.getLogger("hop.web")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(
        ("/api/", "/ws/")
    ) or "application/json" in request.headers.get("accept", "")


def _error_page(
    request: Request, status: int, detail: str, problems: list[str] | None = None
) -> Response:
    from web.pages.render import render_error

    return render_error(request, status=status, detail=detail, problems=problems)


def _gettext(request: Request) -> Callable[[str], str]:
    return get_state(request).translator.gettext(language_of(request))


def _readable_person(request: Request) -> None:
    """An error may come after the request's session committed and closed: the person's row
    is then expired and cannot be read for their language. The answer is made as for no one
    (in the language of the cookie, which follows the account's)."""
    person = getattr(request.state, "person", None)
    if person is None:
        return
    try:
        _ = person.language
    except SQLAlchemyError:
        request.state.person = None


def say_error(detail: str, status: int, gettext: Callable[[str], str]) -> str:
    """An error's detail in a reader's language (web.pages.error_words): the table's
    translation, else the status's general sentence. The sockets, which cannot import the
    pages, get it on app.state from install_error_handlers."""
    from web.pages import error_words

    return error_words.say(detail, status, gettext)


def _message(request: Request, status: int, detail: str) -> str:
    # JSON's `message`, for people; `detail` stays English, for programs.
    return say_error(detail, status, _gettext(request))


async def handle_hop_error(request: Request, error: Exception) -> Response:
    _readable_person(request)
    assert isinstance(error, HopError)
    if error.status_code == 403:
        await record_denied(request, error.detail)
    # A rate limit's refusal is written in the request's language already (web.ratelimit).
    said = error.detail if isinstance(error, RateLimitedError) else None
    if _wants_json(request):
        body: dict[str, object] = {
            "error": type(error).__name__,
            "detail": error.detail,
            "message": said or _message(request, error.status_code, error.detail),
        }
        if error.field:
            body["field"] = error.field
        # A refusal may say when to come back (429 Retry-After).
        headers = getattr(error, "headers", None)
        return JSONResponse(body, status_code=error.status_code, headers=headers)
    return _error_page(request, error.status_code, error.detail, [said] if said else None)


async def handle_http_error(request: Request, error: Exception) -> Response:
    _readable_person(request)
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 403:
        await record_denied(request, str(error.detail))
    if error.status_code == 401 and not _wants_json(request):
        # 303: the login page is a GET whatever the method was; back to a page, never a POST.
        return RedirectResponse(login_url(request), status_code=303)
    if _wants_json(request):
        names = {401: "NotAuthenticatedError", 403: "PermissionDeniedError", 404: "NotFoundError"}
        body = {
            "error": names.get(error.status_code, "HTTPError"),
            "detail": error.detail,
            "message": _message(request, error.status_code, str(error.detail)),
        }
        return JSONResponse(body, status_code=error.status_code, headers=error.headers)
    return _error_page(request, error.status_code, str(error.detail))


async def handle_validation_error(request: Request, error: Exception) -> Response:
    _readable_person(request)
    assert isinstance(error, RequestValidationError)
    problems = [
        {
            "field": ".".join(str(part) for part in item["loc"][1:]) or str(item["loc"][0]),
            "message": item["msg"],
        }
        for item in error.errors()
    ]
    detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    said = _validation_messages(request, error)
    if _wants_json(request):
        body = {
            "error": "ValidationError",
            "detail": detail,
            "message": " ".join(said),
            "fields": problems,
        }
        return JSONResponse(body, status_code=422)
    return _error_page(request, 422, detail, said)


def _validation_messages(request: Request, error: RequestValidationError) -> list[str]:
    """Each problem in the request's language, naming the field by its label."""
    from web.pages import error_words

    gettext = _gettext(request)
    said = [error_words.validation_message(item, gettext) for item in error.errors()]
    return list(dict.fromkeys(said))  # the same problem twice is said once


async def handle_out_of_range(request: Request, error: Exception) -> Response:
    _readable_person(request)
    if _wants_json(request):
        body = {
            "error": "ValidationError",
            "detail": OUT_OF_RANGE_DETAIL,
            "message": _message(request, 422, OUT_OF_RANGE_DETAIL),
        }
        return JSONResponse(body, status_code=422)
    return _error_page(request, 422, OUT_OF_RANGE_DETAIL)


def install_error_handlers(app: FastAPI) -> None:
    app.state.say_error = say_error  # web.realtime.ws: socket errors in the reader's language
    app.add_exception_handler(HopError, handle_hop_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    for kind in OUT_OF_RANGE:
        app.add_exception_handler(kind, handle_out_of_range)
    document_errors(app)


INTERNAL_DETAIL = "Something went wrong on the server; the error was logged"


class InternalErrors:
    """The last net under every HTTP request: an unexpected error is logged and answered with a
    500 of ours, and the connection stays usable. Starlette's own net answers too but then
    re-raises, and uvicorn closes the keep-alive connection: the client's next request on it
    was reset."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # half a response is out: only closing the connection ends it
            await _internal_error(Request(scope))(scope, receive, send)


def _internal_error(request: Request) -> Response:
    with contextlib.suppress(Exception):
        _readable_person(request)
    if _wants_json(request):
        body = {"error": "InternalError", "detail": INTERNAL_DETAIL}
        with contextlib.suppress(Exception):  # reading the language may be what fails
            body["message"] = _message(request, 500, INTERNAL_DETAIL)
        return JSONResponse(body, status_code=500)
    try:
        return _error_page(request, 500, INTERNAL_DETAIL)
    except Exception:  # the page itself may be what fails
        return PlainTextResponse(INTERNAL_DETAIL, status_code=500)
