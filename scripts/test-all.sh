#!/usr/bin/env bash
# Runs the whole suite on SQLite, then again on PostgreSQL (and with Redis fan-out) when those
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

echo "== pytest on SQLite"
"$PY" -m pytest -q "$@"

if answers "$PG_URL"; then
  echo "== pytest on PostgreSQL with Redis fan-out"
  if answers "$REDIS_URL"; then export HOP_TEST_REDIS_URL="$REDIS_URL"
  elif [ "${CI:-}" = "true" ]; then echo "Redis must answer in CI" >&2; exit 1; fi
  # The browser journeys ran above; on PostgreSQL the API, service and live suites matter.
  HOP_TEST_DATABASE_URL="$PG_URL" "$PY" -m pytest -q -p no:cacheprovider -m "not browser" "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL must answer in CI ($PG_URL)" >&2
  exit 1
else
  echo "== PostgreSQL not answering: skipped the PostgreSQL run"
fi
