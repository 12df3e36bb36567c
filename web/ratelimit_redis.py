"""Rate limits kept in Redis, so that every server process sharing HOP_REDIS_URL counts together.

The same GCRA as web.ratelimit.Limiter, one Redis key per limited key (the time the next event
is due, expiring when it is no longer in the future), computed by a Lua script on Redis's clock
so that processes with drifting clocks agree. Redis calls are blocking: they run in the request's
worker thread (logins) or in a thread (websockets, ballots). When Redis cannot be reached the
limit lets the event through: throttling must never stop a vote.
"""

import logging

import redis
from starlette.concurrency import run_in_threadpool

log = logging.getLogger("hop.ratelimit")

# KEYS[1]: the key; ARGV: seconds per event, the period, "hit" or "peek".
# Returns nil when allowed (and, for "hit", counts it), else the seconds to wait, as a string.
GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local due = tonumber(redis.call('GET', KEYS[1]) or now)
if due < now then due = now end
local late = due + interval - now - tonumber(ARGV[2])
if late > 0.000000001 then return tostring(late) end
if ARGV[3] == 'hit' then
  local ttl = math.ceil((due + interval - now) * 1000)
  redis.call('SET', KEYS[1], tostring(due + interval), 'PX', ttl)
end
return false
"""


class RedisLimiter:
    """web.ratelimit.Limiter's interface over Redis."""

    def __init__(self, client: "redis.Redis", prefix: str, count: int, seconds: float) -> None:
        self.client = client
        self.prefix = prefix
        self.count = count
        self.seconds = seconds
        self._script = client.register_script(GCRA)

    def retry_after(self, key: str) -> float | None:
        return self._run(key, "peek")

    def hit(self, key: str) -> float | None:
        return self._run(key, "hit")

    async def ahit(self, key: str) -> float | None:
        return await run_in_threadpool(self.hit, key)

    def reset(self, key: str) -> None:
        try:
            self.client.delete(self.prefix + key)
        except redis.RedisError as error:
            log.warning("rate limit reset failed: %s", error)

    def _run(self, key: str, mode: str) -> float | None:
        if not self.count:
            return None
        args: list[str | float] = [self.seconds / self.count, self.seconds, mode]
        try:
            late = self._script(keys=[self.prefix + key], args=args)
        except redis.RedisError as error:
            log.warning("rate limit not checked (Redis: %s)", error)
            return None
        return float(late) if late is not None else None


def connect(url: str) -> "redis.Redis":
    """A client that gives up fast: a slow Redis must not hold logins or ballots."""
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
