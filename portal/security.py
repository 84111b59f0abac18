"""The accounts' defences that sit around every view: what a signed-in page may be cached as,
the second factor's gate, the per-user limit on changes, and django-axes' two hooks (the
client's address and the lockout page)."""

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from portal import two_factor

log = logging.getLogger(__name__)

Middleware = Callable[[HttpRequest], HttpResponse]

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Always reachable: a user must be able to leave, and the probes have no user.
ALWAYS_OPEN = frozenset({"logout", "admin:logout", "healthz"})


class NoStoreMiddleware:
    """Every response to a signed-in user is ``Cache-Control: no-store, private``.

    Behind the login every page shows a tenant's or the platform's data (addresses, networks,
    pre-shared keys on the customer gateway pages and in the configuration download, the TOTP
    secret, the password form), so no browser or proxy keeps any of them; a list of the pages
    that are secret would miss the next one.
    """

    def __init__(self, get_response: Middleware) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class SecondFactorMiddleware:
    """Holds a session at the code page until its second factor is verified.

    A user with a device who has given only the password is sent to the code page; with
    ``PORTAL_REQUIRE_STAFF_OTP`` a staff user without a device is sent to set one up. Either
    way nothing else is reachable, the admin included (its own login form checks only the
    password, and lands here next).
    """

    def __init__(self, get_response: Middleware) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():  # type: ignore[attr-defined]
            return None
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        if view_name in ALWAYS_OPEN:
            return None
        if two_factor.has_device(user):
            target = "accounts:login-code"
        elif settings.PORTAL_REQUIRE_STAFF_OTP and user.is_staff:
            target = "accounts:two-factor-setup"
        else:
            return None
        if view_name == target:
            return None
        url = reverse(target)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)


class RateLimitMiddleware:
    """At most ``PORTAL_RATE_LIMIT`` changes (POST, PUT, PATCH, DELETE) per signed-in user.

    Counted per user in the cache, in a window that opens with the first change and lasts the
    period. Past the limit the answer is 429: a page saying so, or for htmx a message and a
    refresh of the page the user is on (htmx swaps no error response, so a fragment would
    never be seen). Logging out is never limited.
    """

    def __init__(self, get_response: Middleware) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        rate = parse_rate(settings.PORTAL_RATE_LIMIT)
        if rate is None or request.method not in MUTATING_METHODS:
            return None
        if not request.user.is_authenticated:
            return None  # the login form is django-axes' to guard
        if request.resolver_match and request.resolver_match.view_name in ALWAYS_OPEN:
            return None
        if request.resolver_match and request.resolver_match.namespace == "api":
            return None  # the API limits each token and session user itself (api/throttles.py)
        limit, period = rate
        key = changes_key(request.user.pk, period)
        if cache.add(key, 1, timeout=period):
            return None
        try:
            count = cache.incr(key)
        except ValueError:  # the window closed between add and incr: this opens the next
            cache.set(key, 1, timeout=period)
            return None
        if count <= limit:
            return None
        if count == limit + 1:
            log.warning(
                "rate limit: user %s made %s changes in %ss", request.user.pk, limit, period
            )
        return _too_many_changes(request, period)


def changes_key(user_pk: object, period: int) -> str:
    """The cache key that counts a user's changes in the current window of ``period`` s."""
    return f"portal:changes:{user_pk}:{period}"


_PERIODS = {"second": 1, "minute": 60, "hour": 3600}


@lru_cache(maxsize=8)
def parse_rate(value: str) -> tuple[int, int] | None:
    """``"60/minute"`` as (60, 60): changes allowed, and in how many seconds. Empty: no limit."""
    if not value.strip():
        return None
    count, _sep, unit = value.strip().partition("/")
    if not count.isdigit() or int(count) < 1 or unit.strip() not in _PERIODS:
        raise ImproperlyConfigured(
            f'PORTAL_RATE_LIMIT must read like "60/minute" (per second, minute or hour), '
            f"not {value!r}."
        )
    return int(count), _PERIODS[unit.strip()]


def _too_many_changes(request: HttpRequest, period: int) -> HttpResponse:
    when = {1: _("in a moment"), 60: _("in a minute"), 3600: _("in an hour")}[period]
    text = _("Too many changes in a short time; try again %(when)s.") % {"when": when}
    response: HttpResponse
    if getattr(request, "htmx", False):
        messages.error(request, text)
        response = HttpResponseClientRefresh()
        response.status_code = 429
    else:
        response = render(request, "portal/rate_limited.html", {"text": text}, status=429)
    response["Retry-After"] = str(period)  # at most; the window opened with the first change
    return response


# django-axes hooks (AXES_CLIENT_IP_CALLABLE, AXES_LOCKOUT_CALLABLE) --------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with ``PORTAL_PROXY_COUNT`` proxies in front, the
    address the outermost of them saw (X-Forwarded-For read from the right, so a client cannot
    choose it by sending the header itself)."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.PORTAL_PROXY_COUNT
    if proxies < 1:
        return remote
    forwarded = [
        hop.strip()
        for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if hop.strip()
    ]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The login page again (the portal's, for the admin's login too), saying why and for how
    long; 429 like django-axes' own answer."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = ngettext(
        "Too many failed logins for this username from your address. Try again in %(n)d "
        "minute, or ask an operator to unlock it.",
        "Too many failed logins for this username from your address. Try again in %(n)d "
        "minutes, or ask an operator to unlock it.",
        minutes,
    ) % {"n": minutes}
    context = {
        "form": AuthenticationForm(request),
        "lockout_message": message,
        "next": request.POST.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)
