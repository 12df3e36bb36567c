"""`hop serve`: what may be served how, and how long a stop may take."""

from web.settings import Settings

# uvicorn's wait for requests in flight once the listening socket is closed (after the drain,
# web.drain); the process stops then even if some have not finished. A service manager's stop
# timeout must exceed HOP_DRAIN_SECONDS + web.drain.SETTLE_SECONDS + this.
GRACEFUL_SECONDS = 15

WORKERS_REFUSED = (
    "hop serve: --workers {workers} needs PostgreSQL (HOP_DATABASE_URL=postgresql://...) and "
    "Redis (HOP_REDIS_URL): processes on SQLite or without Redis would not share live events "
    "and rate limits. Missing: {missing}."
)


def workers_refusal(settings: Settings, workers: int) -> str | None:
    """Why this many worker processes cannot be run on these settings, or None when they can."""
    if workers < 1:
        return "hop serve: --workers must be at least 1."
    if workers == 1:
        return None
    missing = []
    if not settings.resolved_database_url.startswith("postgresql"):
        missing.append("PostgreSQL")
    if not settings.redis_url:
        missing.append("Redis")
    if not missing:
        return None
    return WORKERS_REFUSED.format(workers=workers, missing=" and ".join(missing))
