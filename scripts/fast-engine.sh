#!/usr/bin/env bash
# make install-fast-engine: replaces the prebuilt dlib-bin wheel in the virtualenv by dlib built
# from its sdist against Debian's OpenBLAS/LAPACK (face encodings about 4x faster, a build of about
# 13 minutes on 2 cores; docs/BENCHMARKS.md). Idempotent: a source build with BLAS is left alone.
# The wheel is built before dlib-bin is removed, so a failed build leaves the venv as it was.
# Usage: scripts/fast-engine.sh [VENV]   (default .venv; make install-fast-engine VENV=...)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

# dlib.DLIB_USE_BLAS is false in dlib-bin and true in a build that found a BLAS.
if "$PY" -c "import dlib, sys; sys.exit(not dlib.DLIB_USE_BLAS)" 2>/dev/null; then
  echo "hop: $VENV already has dlib built with BLAS: nothing to do"
  exit 0
fi
bash scripts/system-deps.sh --fast-engine

# The same dlib as the wheel `make install` chose (dlib-bin 20.0.1.post1 is dlib 20.0.1).
VERSION=${DLIB_VERSION:-$("$PY" -c "import dlib; print(dlib.__version__)")}
WHEELS="$VENV/fast-engine"
LOG="$WHEELS/build.log"
mkdir -p "$WHEELS"
# A wheel built by an earlier run that stopped before the swap is used again, not rebuilt.
if ! compgen -G "$WHEELS/dlib-$VERSION-*.whl" >/dev/null; then
  echo "hop: building dlib $VERSION against OpenBLAS (about 13 minutes on 2 cores; log in $LOG)"
  # -march=native: dlib's HOG detector is twice as slow without the host's AVX2/FMA (measured);
  # the wheel then runs on this machine's CPU only. DLIB_CXXFLAGS= builds a portable one.
  CXXFLAGS="${DLIB_CXXFLAGS--march=native}" nice -n "${NICE:-19}" \
    "${PIP[@]}" wheel -v --no-deps --no-binary dlib --no-cache-dir -w "$WHEELS" \
    "dlib==$VERSION" >"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; exit 1; }
fi
# dlib's CMake falls back to its own slower BLAS-less code without saying so loudly: insist.
if ! grep -q "Found OpenBLAS library" "$LOG"; then
  echo "hop: dlib's CMake did not find OpenBLAS (see $LOG); dlib-bin kept" >&2
  rm -f "$WHEELS"/dlib-*.whl
  exit 1
fi

"${PIP[@]}" uninstall -q -y dlib-bin
"${PIP[@]}" install -q --no-deps --force-reinstall "$WHEELS/dlib-$VERSION"-*.whl
"$PY" - <<'PY'
import dlib
import face_recognition  # noqa: F401  (still imports against the new dlib)

assert dlib.DLIB_USE_BLAS, "dlib installed without BLAS"
print(f"hop: dlib {dlib.__version__} built with BLAS (LAPACK: {dlib.DLIB_USE_LAPACK}) installed")
PY
