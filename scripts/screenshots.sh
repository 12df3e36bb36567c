#!/usr/bin/env bash
# Regenerate docs/screenshots/*.png: the browser test that serves the demo and photographs the
# main pages (desktop for the secretariat, tablet for delegates, the hall projector), and the
# kiosk and voting journeys that photograph the kiosk, desk, console, ballot and projector, and
# the reader's tests (reader-*.png).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q -p no:cacheprovider tests/browser/test_screenshots.py \
  tests/browser/test_kiosk_journey.py \
  "tests/browser/test_voting_journey.py::test_two_tablets_vote_and_the_projector_shows_the_result" \
  tests/browser/test_reader.py tests/browser/test_changes.py \
  tests/browser/test_encrypted_journey.py \
  "$@"
