"""Rate limits of the API: ``PORTAL_API_RATE`` requests per token.

A token's requests are counted under the token, a signed-in browser session's (the docs' "Try it
out") under its user, anything else (the schema and the docs, read without signing in) under the
client's address. Past the limit the answer is DRF's 429, ``{"detail": "..."}`` with
``Retry-After`` (seconds until the window closes).

The count is a fixed window in the cache (``add`` then ``incr``: atomic in Redis, so every web
process of a deployment counts in one place; the demo and the tests count per process). DRF's own
``SimpleRateThrottle`` keeps a list of timestamps read and written back whole, which loses counts
when two processes race; a fixed window may let up to twice the rate through across a window's
edge, which is all a limit against a runaway script needs.

How this relates to ``portal.security.RateLimitMiddleware`` (``PORTAL_RATE_LIMIT``, changes per
signed-in user in the portal's pages): that middleware leaves every API route alone (and runs
before DRF authenticates, so it would see a token as anonymous anyway); the API's changes, a
browser session's included, are limited here only, so every API answer past a limit is this JSON
429 that the schema documents, never the pages' HTML one.
"""

import math
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.models import ApiToken
from portal.security import client_ip

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_api_rate(value: str) -> tuple[int, int] | None:
    """``"600/minute"`` as (600, 60); empty: no limit."""
    if not value.strip():
        return None
    count, _sep, unit = value.strip().partition("/")
    unit = unit.strip().lower()
    if not count.strip().isdigit() or int(count) < 1 or unit[:1] not in _PERIODS:
        raise ImproperlyConfigured(
            f'PORTAL_API_RATE must read like "600/minute" (per second, minute, hour or day), '
            f"not {value!r}."
        )
    return int(count), _PERIODS[unit[:1]]


def rate_key(request: Request) -> str:
    """Whose requests these are: the token, else the session's user, else the address."""
    if isinstance(request.auth, ApiToken):
        return f"token:{request.auth.pk}"
    if request.user is not None and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{client_ip(request._request)}"


class TokenRateThrottle(BaseThrottle):
    """At most ``PORTAL_API_RATE`` requests per token (see the module's docstring)."""

    timer = staticmethod(time.time)

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def allow_request(self, request: Request, view: "APIView") -> bool:
        rate = parse_api_rate(settings.PORTAL_API_RATE)
        if rate is None:
            return True
        limit, period = rate
        now = self.timer()
        window = int(now // period)
        key = f"api:rate:{rate_key(request)}:{period}:{window}"
        # The window's key lives a little past the window, so incr never finds it gone early.
        if cache.add(key, 1, timeout=period + 1):
            return True
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr: count afresh
            cache.set(key, 1, timeout=period + 1)
            return True
        if count <= limit:
            return True
        self.retry_after = (window + 1) * period - now
        return False

    def wait(self) -> float | None:
        # DRF writes Retry-After as a whole number of seconds, rounded down: round up first, so
        # a client that waits that long finds the next window open.
        return math.ceil(self.retry_after) if self.retry_after is not None else None
