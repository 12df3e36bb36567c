"""The API docs (/docs: Swagger UI, /redoc: ReDoc) from Hop's own origin, within its CSP.

The packages come from npm and are served from node_modules by web.vendor: a hall network may
have no internet, and the pages' Content-Security-Policy allows no other origin and no inline
script."""

from html import escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from web.vendor import NODE_MODULES, REDOC, SWAGGER_UI, VENDOR, mount_vendor

__all__ = ["NODE_MODULES", "VENDOR", "install_docs", "redoc_page", "swagger_ui_page"]
FAVICON = f"{SWAGGER_UI}/favicon-32x32.png"


def swagger_ui_page(*, title: str, openapi_url: str, csrf_token: str) -> HTMLResponse:
    """Swagger UI, started by /static/docs.js (FastAPI's own page starts it inline); "Try it
    out" sends the CSRF token, as the pages' scripts do."""
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(title)} - Swagger UI</title>
  <link rel="icon" href="{FAVICON}">
  <link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"
       data-csrf-token="{escape(csrf_token)}"></div>
  <script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
  <script src="/static/docs.js"></script>
</body>
</html>
"""
    return HTMLResponse(html)


def redoc_page(*, title: str, openapi_url: str) -> HTMLResponse:
    """ReDoc, as FastAPI's get_redoc_html writes it but with no Google Fonts and no search:
    ReDoc's search runs in a worker made from a blob: URL, which the CSP refuses (and ReDoc
    then shows "Something went wrong" instead of the docs)."""
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(title)} - ReDoc</title>
  <link rel="icon" href="{FAVICON}">
  <style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
  <redoc spec-url="{escape(openapi_url)}" disable-search></redoc>
  <script src="{REDOC}/redoc.standalone.js"></script>
</body>
</html>
"""
    return HTMLResponse(html)


def install_docs(app: FastAPI) -> None:
    """Mount the vendored packages (before /static) and add the /docs and /redoc pages."""
    # Every npm package (the reader's PDF.js too) is mounted here, where app.py has always
    # mounted the docs' packages: before /static.
    mount_vendor(app)
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        csrf_token = getattr(request.state, "csrf_token", "")
        return swagger_ui_page(title=title, openapi_url=openapi_url, csrf_token=csrf_token)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return redoc_page(title=title, openapi_url=openapi_url)
