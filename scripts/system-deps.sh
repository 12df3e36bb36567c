#!/usr/bin/env bash
# Debian packages the project needs beyond PyPI: a font with Vietnamese glyphs for generated PDFs,
# and Chromium for the browser tests and screenshots (Playwright drives it; never `playwright install`).
# Installed only where missing and only when we may (root with apt-get); otherwise a hint.
set -u
need=()
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ "${#need[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "hop: installing Debian packages: ${need[*]}"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "hop: please install these Debian packages: ${need[*]} (without them PDFs fall back to ASCII and browser tests cannot run)" >&2
fi
exit 0
