"""One place that renders errors: JSON for the API, a page for people, a redirect to log in."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import HopError
from web.api_schema import document_errors
from web.audit_log import record_denied

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
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
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
    # An id or count beyond the database's integers (SQLite raises OverflowError), or a value
    # PostgreSQL refuses (DataError: out of range, a NUL character): bad input, not a fault.
    detail = "A number is out of range or a text holds a character that cannot be stored"
    if _wants_json(request):
        return JSONResponse({"error": "ValidationError", "detail": detail}, status_code=422)
    return _error_page(request, 422, detail)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HopError, handle_hop_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(OverflowError, handle_out_of_range)
    app.add_exception_handler(DataError, handle_out_of_range)
    document_errors(app)
