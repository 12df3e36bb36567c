#!/usr/bin/env bash
# Regenerate docs/screenshots/*.png: the browser test that serves the demo and photographs the
# main pages (desktop for the secretariat, tablet for delegates, the hall projector).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q -p no:cacheprovider tests/browser/test_screenshots.py "$@"
