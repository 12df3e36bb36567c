"""One place that renders errors: JSON for the API, a page for people, a redirect to log in."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import HopError
from models.db import OUT_OF_RANGE, OUT_OF_RANGE_DETAIL
from web.api_schema import document_errors
from web.audit_log import record_denied
from web.auth import login_url

log = logging.getLogger("hop.web")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(
        ("/api/", "/ws/")
    ) or "application/json" in request.headers.get("accept", "")


def _error_page(request: Request, status: int, detail: str) -> Response:
    from web.pages.render import render_error

    return render_error(request, status=status, detail=detail)


async def handle_hop_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HopError)
    if error.status_code == 403:
        await record_denied(request, error.detail)
    if _wants_json(request):
        body: dict[str, object] = {"error": type(error).__name__, "detail": error.detail}
        if error.field:
            body["field"] = error.field
        # A refusal may say when to come back (429 Retry-After).
        headers = getattr(error, "headers", None)
        return JSONResponse(body, status_code=error.status_code, headers=headers)
    return _error_page(request, error.status_code, error.detail)


async def handle_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 403:
        await record_denied(request, str(error.detail))
    if error.status_code == 401 and not _wants_json(request):
        # 303: the login page is a GET whatever the method was; back to a page, never a POST.
        return RedirectResponse(login_url(request), status_code=303)
    if _wants_json(request):
        names = {401: "NotAuthenticatedError", 403: "PermissionDeniedError", 404: "NotFoundError"}
        return JSONResponse(
            {"error": names.get(error.status_code, "HTTPError"), "detail": error.detail},
            status_code=error.status_code,
            headers=error.headers,
        )
    return _error_page(request, error.status_code, str(error.detail))


async def handle_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [
        {
            "field": ".".join(str(part) for part in item["loc"][1:]) or str(item["loc"][0]),
            "message": item["msg"],
        }
        for item in error.errors()
    ]
    detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    if _wants_json(request):
        return JSONResponse(
            {"error": "ValidationError", "detail": detail, "fields": problems}, status_code=422
        )
    return _error_page(request, 422, detail)


async def handle_out_of_range(request: Request, error: Exception) -> Response:
    if _wants_json(request):
        body = {"error": "ValidationError", "detail": OUT_OF_RANGE_DETAIL}
        return JSONResponse(body, status_code=422)
    return _error_page(request, 422, OUT_OF_RANGE_DETAIL)


def install_error_handlers(app: FastAPI) -> None:
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
    if _wants_json(request):
        return JSONResponse({"error": "InternalError", "detail": INTERNAL_DETAIL}, status_code=500)
    try:
        return _error_page(request, 500, INTERNAL_DETAIL)
    except Exception:  # the page itself may be what fails
        return PlainTextResponse(INTERNAL_DETAIL, status_code=500)
