"""Rate limits that hold across every worker and instance: atomic counters in Django's cache.

DRF's stock throttles read a list of timestamps, append and write it back, so concurrent
requests in different workers overwrite each other's hits and the limit leaks. Here each
window is one integer that the cache increments atomically (one Redis round trip when
`REDIS_URL` is set: see taskapi/cache.py), so exactly `limit` requests per window get through,
however many workers serve them.

Windows are fixed (aligned to the epoch), the simplest scheme whose count is exact; a client
can spend two windows' worth across a boundary, which the limits' defaults allow for.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from taskapi.rates import Rate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimitState:
    """What one throttle knows after counting a request, for the RateLimit-* headers."""

    limit: int
    remaining: int
    reset: int


class FixedWindowThrottle(BaseThrottle):
    """Counts requests per key and window; subclasses say what the key is."""

    rate_setting = ""

    def __init__(self):
        self.rate = Rate.parse(settings.THROTTLE_RATES[self.rate_setting])
        self.retry_after: int | None = None

    def get_key(self, request, view) -> str | None:
        """The identity to count for, or None to leave the request unthrottled."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        identity = self.get_key(request, view)
        if identity is None:
            return True
        now = time.time()
        window = int(now // self.rate.period)
        reset = max(1, int((window + 1) * self.rate.period - now))
        key = f"throttle:{self.rate_setting}:{identity}:{window}"
        try:
            count = self.count(key)
        except Exception:
            # A cache outage must not take the API down with it: fail open, loudly.
            logger.warning("rate limit cache unavailable; not throttling", exc_info=True)
            return True
        state = RateLimitState(self.rate.limit, max(0, self.rate.limit - count), reset)
        record_state(request, state)
        if count > self.rate.limit:
            self.retry_after = reset
            return False
        return True

    def count(self, key: str) -> int:
        # The window's key lives a little past the window, so it is gone by the next one.
        return cache.count_hit(key, self.rate.period + 1)

    def wait(self) -> int | None:
        return self.retry_after


def record_state(request, state: RateLimitState) -> None:
    """Keeps the most restrictive throttle's state on the Django request for the headers."""
    django_request = getattr(request, "_request", request)
    current = getattr(django_request, "rate_limit", None)
    if current is None or state.remaining < current.remaining:
        django_request.rate_limit = state


class UserRateThrottle(FixedWindowThrottle):
    """Every authenticated API call, per user."""

    rate_setting = "user"

    def get_key(self, request, view) -> str | None:
        user = request.user
        return str(user.pk) if user is not None and user.is_authenticated else None


class ClientIPRateThrottle(FixedWindowThrottle):
    """Anonymous auth endpoints, per client address and endpoint."""

    rate_setting = "auth_ip"

    def get_key(self, request, view) -> str | None:
        # DRF's get_ident: REMOTE_ADDR, or the X-Forwarded-For entry written by the outermost
        # of the NUM_PROXIES (TRUSTED_PROXY_COUNT) proxies; without proxies the header is
        # ignored, since any client can send one.
        return f"{view.throttle_scope}:{self.get_ident(request)}"
