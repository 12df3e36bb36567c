"""Rate limits: login failures per account and per address, kiosk frames per device, ballots
per voter, pairing codes per address. Over the limit the API answers 429 with Retry-After, a
websocket an error message.

Each limit is a GCRA (a token bucket kept as one time per key): `count` events at once, then one
every `seconds / count`. The buckets live in this process's memory, or with HOP_REDIS_URL in
Redis (web.ratelimit_redis), so that several server processes count together.
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import HopError
from web.settings import Rate, Settings

SWEEP_EVERY = 4096  # keys: forget idle ones once the table grows by this much


class RateLimitedError(HopError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Limiter:
    """One limit over many keys (accounts, addresses, devices, voters); thread-safe."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        self._due: dict[str, float] = {}  # key -> theoretical arrival time of the next event
        self._lock = threading.Lock()
        self._sweep_at = SWEEP_EVERY

    @property
    def _interval(self) -> float:
        return self.rate.seconds / self.rate.count

    def retry_after(self, key: str) -> float | None:
        """Seconds until one more event is allowed, or None when it is allowed now."""
        if not self.rate.count:
            return None
        with self._lock:
            return self._wait(key, self.clock())

    def hit(self, key: str) -> float | None:
        """Count one event if allowed (None); else the seconds to wait, nothing counted."""
        if not self.rate.count:
            return None
        with self._lock:
            now = self.clock()
            wait = self._wait(key, now)
            if wait is None:
                self._due[key] = max(self._due.get(key, now), now) + self._interval
                self._sweep(now)
            return wait

    async def ahit(self, key: str) -> float | None:
        """hit() for async callers (the Redis limiter goes to a thread)."""
        return self.hit(key)

    def reset(self, key: str) -> None:
        with self._lock:
            self._due.pop(key, None)

    def _wait(self, key: str, now: float) -> float | None:
        due = max(self._due.get(key, now), now) + self._interval
        late = due - now - self.rate.seconds
        return late if late > 1e-9 else None

    def _sweep(self, now: float) -> None:
        if len(self._due) < self._sweep_at:
            return
        self._due = {key: due for key, due in self._due.items() if due > now}
        self._sweep_at = len(self._due) + SWEEP_EVERY


class AnyLimiter(Protocol):
    def retry_after(self, key: str) -> float | None: ...
    def hit(self, key: str) -> float | None: ...
    async def ahit(self, key: str) -> float | None: ...
    def reset(self, key: str) -> None: ...


@dataclass(frozen=True)
class RateLimits:
    login_account: AnyLimiter
    login_address: AnyLimiter
    kiosk_frame: AnyLimiter
    ballot: AnyLimiter
    pair: AnyLimiter
    client: Any = None  # the Redis client, when shared

    @classmethod
    def from_settings(cls, settings: Settings) -> "RateLimits":
        rates = {
            "login_account": Rate.parse(settings.login_account_rate),
            "login_address": Rate.parse(settings.login_address_rate),
            "kiosk_frame": Rate.parse(settings.kiosk_frame_rate),
            "ballot": Rate.parse(settings.ballot_rate),
            "pair": Rate.parse(settings.pair_rate),
        }
        if not settings.redis_url:
            return cls(**{name: Limiter(rate) for name, rate in rates.items()})
        from web.ratelimit_redis import RedisLimiter, connect

        client = connect(settings.redis_url)
        prefix = f"{settings.redis_channel}:rate:"
        shared = {
            name: RedisLimiter(client, f"{prefix}{name}:", rate.count, rate.seconds)
            for name, rate in rates.items()
        }
        return cls(**shared, client=client)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


class Limited(Protocol):
    """What the checks need of the app's state (web.state.AppState, which builds on this)."""

    rate_limits: RateLimits


def seconds(wait: float) -> int:
    """Retry-After is whole seconds, never 0 while still limited."""
    return max(1, math.ceil(wait))


# The checks the routes call; messages in the caller's language (English on websockets) ---------

Gettext = Callable[[str], str]
LOGIN_MESSAGE = "Too many failed logins. Try again in %(seconds)s seconds."
FRAME_MESSAGE = "Too many frames from this kiosk. Send again in %(seconds)s seconds."
BALLOT_MESSAGE = "Too many ballots in a short time. Send again in %(seconds)s seconds."
PAIR_MESSAGE = "Too many pairing codes from this address. Try again in %(seconds)s seconds."


def _english(message: str) -> str:
    return message


def _refuse(message: str, wait: float, gettext: Gettext) -> RateLimitedError:
    retry = seconds(wait)
    return RateLimitedError(gettext(message) % {"seconds": retry}, retry_after=retry)


def check_login(
    state: Limited, *, username: str, address: str, gettext: Gettext = _english
) -> None:
    """Before checking a password: refuse while the account or the address is locked out."""
    found = state.rate_limits
    waits = [
        found.login_account.retry_after(f"account:{username.lower()}"),
        found.login_address.retry_after(f"address:{address}"),
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise _refuse(LOGIN_MESSAGE, wait, gettext)


def login_failed(state: Limited, *, username: str, address: str) -> None:
    found = state.rate_limits
    found.login_account.hit(f"account:{username.lower()}")
    found.login_address.hit(f"address:{address}")


def login_succeeded(state: Limited, *, username: str) -> None:
    """A successful login clears the account's failures (not the address's)."""
    state.rate_limits.login_account.reset(f"account:{username.lower()}")


async def check_kiosk_frame(
    state: Limited, *, device_key: str, gettext: Gettext = _english
) -> None:
    wait = await state.rate_limits.kiosk_frame.ahit(f"kiosk:{device_key}")
    if wait is not None:
        raise _refuse(FRAME_MESSAGE, wait, gettext)


async def check_ballot(state: Limited, *, voter_id: int, gettext: Gettext = _english) -> None:
    wait = await state.rate_limits.ballot.ahit(f"voter:{voter_id}")
    if wait is not None:
        raise _refuse(BALLOT_MESSAGE, wait, gettext)


def check_pairing(state: Limited, *, address: str, gettext: Gettext = _english) -> None:
    """Each /pair load stores a waiting code: one address may not fill the table."""
    wait = state.rate_limits.pair.hit(f"address:{address}")
    if wait is not None:
        raise _refuse(PAIR_MESSAGE, wait, gettext)
