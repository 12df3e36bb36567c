"""Front-end packages from npm, served from Hop's own origin under /static/vendor/.

The packages come from package.json at the repository root (installed by `make install` with
`npm ci`) and are served from node_modules: a hall network may have no internet, and the pages'
Content-Security-Policy allows no other origin and no inline script. Only each package's
prebuilt browser files are mounted, never a whole package. The encrypted-ballot library
(web/static/eb/, which imports noble by bare name) is served as the one ES module that
`make install` bundles with esbuild into build/eb/."""

import mimetypes
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

NODE_MODULES = Path(__file__).parent.parent / "node_modules"
EB_BUILD = Path(__file__).parent.parent / "build" / "eb"
SWAGGER_UI = "/static/vendor/swagger-ui"
REDOC = "/static/vendor/redoc"
PDFJS = "/static/vendor/pdfjs"
EB = "/static/vendor/eb"
_PDFJS_DIST = NODE_MODULES / "pdfjs-dist"
VENDOR = {
    SWAGGER_UI: NODE_MODULES / "swagger-ui-dist",
    REDOC: NODE_MODULES / "redoc" / "bundles",
    # PDF.js: the library and its worker (build), the viewer components (web), the CMaps and
    # standard fonts a PDF without embedded fonts needs, and the JavaScript image decoders
    # (wasm/*_nowasm_fallback.js) it uses since the CSP allows no WebAssembly.
    f"{PDFJS}/build": _PDFJS_DIST / "build",
    f"{PDFJS}/web": _PDFJS_DIST / "web",
    f"{PDFJS}/cmaps": _PDFJS_DIST / "cmaps",
    f"{PDFJS}/standard_fonts": _PDFJS_DIST / "standard_fonts",
    f"{PDFJS}/wasm": _PDFJS_DIST / "wasm",
    EB: EB_BUILD,  # eb.js: hop-eb-v1 with @noble/curves and @noble/hashes inside
}


def mount_vendor(app: FastAPI) -> None:
    """Mount the packages' folders (before /static, which would answer 404 for them)."""
    # PDF.js ships ES modules as .mjs: a module script must come as JavaScript, and not every
    # system's mime.types knows the extension.
    mimetypes.add_type("text/javascript", ".mjs")
    for path, directory in VENDOR.items():
        # check_dir=False: without `npm ci` the pages still answer; their assets are 404s.
        app.mount(path, StaticFiles(directory=directory, check_dir=False), name=path)
