"""Rate limits that hold across every worker and instance: atomic counters in Django's cache.

DRF's stock throttles read a list of timestamps, append and write it back, so concurrent
requests in different workers overwrite each other's hits and the limit leaks. Here each
window is one integer that the cache increments atomically (one Redis round trip when
`REDIS_URL` is set: see taskapi/cache.py), so exactly `limit` requests per window get through,
however many workers serve them.

Windows are fixed (aligned to the epoch), the simplest scheme whose count is exact; a client
can spend two windows' worth across a boundary, which the limits' defaults allow for.
"""

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from accounts.models import normalize_email

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """`"20/minute"`, `"5/min"`, `"1000/h"`: a count per period."""
        count, _, period = text.partition("/")
        return cls(int(count), PERIODS[period.strip().lower()])


@dataclass(frozen=True)
class RateLimitState:
    """What one throttle knows after counting a request, for the RateLimit-* headers."""

    limit: int
    remaining: int
    reset: int


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry written by the
    outermost of the TRUSTED_PROXY_COUNT proxies in front of the service.

    Without trusted proxies X-Forwarded-For is ignored, since any client can send one.
    """
    trusted = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if trusted and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(trusted, len(hops))]
    return request.META.get("REMOTE_ADDR", "unknown")


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
        return f"{view.throttle_scope}:{client_ip(request)}"


class LoginEmailRateThrottle(FixedWindowThrottle):
    """Sign-in attempts per email address, to slow password guessing spread over many IPs."""

    rate_setting = "login_email"

    def get_key(self, request, view) -> str | None:
        email = request.data.get("email")
        if not isinstance(email, str) or not email:
            return None
        # Hashed: addresses stay out of the cache, and any length makes a short key.
        return hashlib.sha256(normalize_email(email).encode("utf-8", "replace")).hexdigest()
