# Hop: the two commands a newcomer needs are `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip -q --disable-pip-version-check
HOP := $(VENV)/bin/hop
STAMP := $(VENV)/.installed
# The encrypted-ballot library (web/static/eb/, ES modules that import @noble/* by bare name)
# bundled by esbuild into one ES module, served as /static/vendor/eb/eb.js (web/vendor.py): the
# CSP allows no inline import map, so the browser cannot resolve the bare names itself.
EB_BUNDLE := build/eb/eb.js
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint typecheck pytest clean system-deps install-fast-engine

install: $(STAMP) $(EB_BUNDLE)

# Reinstalls only when the project's dependency files change.
$(STAMP): pyproject.toml Makefile $(wildcard package-lock.json)
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PIP) install "pip>=24" "setuptools<82" wheel
	@# dlib-bin is the prebuilt dlib; face_recognition's own metadata would pull the dlib sdist.
	@# A dlib built with BLAS (make install-fast-engine) is kept: dlib-bin would overwrite it.
	@if $(PY) -c "import dlib, sys; sys.exit(not dlib.DLIB_USE_BLAS)" 2>/dev/null; \
	  then $(PIP) install face-recognition-models; \
	  else $(PIP) install dlib-bin face-recognition-models; fi
	@$(PIP) install --no-deps "face_recognition>=1.3"
	@$(PIP) install Pillow Click
	@$(PIP) install -e ".[dev]"
	@bash scripts/system-deps.sh
	@# Front-end packages served from Hop's own origin (DESIGN.md): exactly the locked versions.
	@if [ -f package-lock.json ]; then npm ci --silent; fi
	@touch $(STAMP)
	@echo "hop: installed into $(VENV)"

# Rebuilt only when the library's sources or the installed packages change.
$(EB_BUNDLE): $(STAMP) $(wildcard web/static/eb/*.js)
	@node_modules/.bin/esbuild web/static/eb/index.js --bundle --format=esm --log-level=warning \
	  --outfile=$@

# Opt-in: dlib built from source against OpenBLAS instead of the dlib-bin wheel (docs/BENCHMARKS.md).
install-fast-engine: install
	@bash scripts/fast-engine.sh $(VENV)

run: install
	@$(HOP) migrate
	@$(HOP) demo --if-empty --url http://$(HOST):$(PORT)
	@$(HOP) reindex
	@$(HOP) serve --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy

pytest: install
	bash scripts/test-all.sh

test: lint typecheck pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache build/eb
