#!/usr/bin/env bash
# Runs the whole suite on SQLite and, beside it, on PostgreSQL with Redis fan-out when those
# servers answer. With CI=true a missing server is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL=${HOP_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/test}
REDIS_URL=${HOP_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

answers() { "$PY" - "$1" <<'PY'
import sys
url = sys.argv[1]
try:
    if url.startswith("redis"):
        import redis
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    else:
        import psycopg
        psycopg.connect(url, connect_timeout=3).close()
except Exception as error:
    print(f"not answering: {url}: {error}", file=sys.stderr)
    sys.exit(1)
PY
}

# The PostgreSQL pass runs beside the SQLite one: much of either is waiting (servers, sockets,
# the browser), so together they take little more than the longer of the two on two cores.
PG_LOG=$(mktemp)
PG_PID=""
if answers "$PG_URL"; then
  if answers "$REDIS_URL"; then export HOP_TEST_REDIS_URL="$REDIS_URL"
  elif [ "${CI:-}" = "true" ]; then echo "Redis must answer in CI" >&2; exit 1; fi
  # The browser journeys run on SQLite; on PostgreSQL the API, service and live suites matter.
  # Tests that never open the database under test (nodb: benchmarks of their own databases,
  # image decoding) would only repeat themselves: they run once, in the SQLite pass.
  HOP_TEST_DATABASE_URL="$PG_URL" "$PY" -m pytest -q -p no:cacheprovider -m "not browser and not nodb" \
    --basetemp="$(mktemp -d)" "$@" >"$PG_LOG" 2>&1 &
  PG_PID=$!
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL must answer in CI ($PG_URL)" >&2
  exit 1
fi

echo "== pytest on SQLite"
SQLITE_RC=0
env -u HOP_TEST_REDIS_URL "$PY" -m pytest -q --basetemp="$(mktemp -d)" "$@" || SQLITE_RC=$?

PG_RC=0
if [ -n "$PG_PID" ]; then
  wait "$PG_PID" || PG_RC=$?
  echo "== pytest on PostgreSQL with Redis fan-out"
  cat "$PG_LOG"
else
  echo "== PostgreSQL not answering: skipped the PostgreSQL run"
fi
rm -f "$PG_LOG"
[ "$SQLITE_RC" -eq 0 ] && [ "$PG_RC" -eq 0 ]
