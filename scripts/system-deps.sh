#!/usr/bin/env bash
# Debian packages the project needs beyond PyPI: a font with Vietnamese glyphs for generated PDFs,
# Chromium for the browser tests and screenshots (Playwright drives it; never `playwright install`),
# and LibreOffice without its GUI to render Office documents as PDFs for the reader (meetings.renditions).
# Installed only where missing and only when we may (root with apt-get); otherwise a hint.
# With --fast-engine (make install-fast-engine): instead, what building dlib from source against
# OpenBLAS needs (scripts/fast-engine.sh); a missing one is then an error, not a hint.
set -u
need=()
if [ "${1:-}" = "--fast-engine" ]; then
  command -v cmake >/dev/null || need+=(cmake)
  command -v g++ >/dev/null || need+=(g++)
  for lib in libopenblas-dev liblapack-dev; do
    dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q "ok installed" || need+=("$lib")
  done
  why="without them dlib cannot be built against OpenBLAS"
  missing_rc=1
else
  why="without them PDFs fall back to ASCII, browser tests cannot run and Office documents are offered for download only"
  missing_rc=0
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  for part in writer calc impress; do
    # dpkg knows each part (a removed one may linger as "config-files": not installed); without
    # dpkg (not Debian) only a missing soffice tells.
    if command -v dpkg-query >/dev/null; then
      dpkg-query -W -f='${Status}' "libreoffice-$part-nogui" 2>/dev/null | grep -q "ok installed" ||
        need+=("libreoffice-$part-nogui")
    else
      command -v soffice >/dev/null || need+=("libreoffice-$part-nogui")
    fi
  done
fi
[ "${#need[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "hop: installing Debian packages: ${need[*]}"
  # Another apt (an unattended upgrade, a second install) may hold dpkg's lock: wait for it
  # rather than fail, and let a failed install stop `make install` (no stamp) instead of
  # leaving the tests to meet the missing package later.
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
  if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    "${need[@]}" >/dev/null; then
    echo "hop: could not install the Debian packages ${need[*]} ($why)" >&2
    exit 1
  fi
else
  echo "hop: please install these Debian packages: ${need[*]} ($why)" >&2
  exit "$missing_rc"
fi
exit 0
