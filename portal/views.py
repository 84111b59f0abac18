"""The portal's own pages: health, and a user's sign-in and security (password, second factor).

These pages are the user's, not the account's: staff without a tenant account use them too, so
they need a login but not ``tenant_view``.
"""

import sys
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.template import loader
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.defaults import page_not_found
from django_otp import login as otp_login
from psycopg_pool import PoolTimeout

from portal import audit, two_factor
from portal.choices import AuditAction
from portal.models import User

API_PREFIX = "/api/"  # portal/urls.py mounts the REST API here


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the process serves and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: the page, or for the REST API (whose clients read JSON, and whose schema promises
    it) ``{"detail": ...}``, also for a path no route matches, such as an id that is no number."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500, except when the database's connection pool stayed busy for DATABASE_POOL_TIMEOUT
    seconds (a burst larger than the pool): that is overload, not a fault, so 503 with
    Retry-After, which browsers, API clients and load balancers treat as "try again". The
    request's transaction never started, so nothing of it was done. Reads no database.

    A wait that ran out while the pool had no connection open at all is not overload: the
    database could not be reached (down, or misconfigured; the pool logs why), and that stays
    a 500 for operators to see."""
    if not _pool_exhausted(sys.exc_info()[1]):
        return defaults.server_error(request)
    if request.path.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse(
            {"detail": _("The portal is busy; nothing was changed. Try again in a few seconds.")},
            status=503,
        )
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(BUSY_RETRY_AFTER)
    return response


BUSY_RETRY_AFTER = 5


def _pool_exhausted(error: BaseException | None) -> bool:
    """Whether this exception, or one it was raised from, is the pool's wait running out while
    every connection it has was lent out (it had some: the database answers)."""
    while error is not None:
        if isinstance(error, PoolTimeout):
            pool = getattr(connection, "pool", None)  # PostgreSQL's backend only
            return pool is not None and pool.get_stats().get("pool_size", 0) > 0
        error = error.__cause__ or error.__context__
    return False


def _user(request: HttpRequest) -> User:
    """The signed-in user (the views below are all ``login_required``)."""
    return cast(User, request.user)


def _next_or(request: HttpRequest, default: str) -> str:
    """The ``next`` the request carries if it stays on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _staff_must_keep_it(user: User) -> bool:
    return bool(settings.PORTAL_REQUIRE_STAFF_OTP and user.is_staff)


@login_required
@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    """The user's sign-in and security page: password, and the second factor on or off."""
    return _security_page(request, two_factor.CodeForm())


def _security_page(
    request: HttpRequest, disable_form: two_factor.CodeForm, *, status: int = 200
) -> HttpResponse:
    user = _user(request)
    context = {
        "has_device": two_factor.has_device(user),
        "staff_must_keep_it": _staff_must_keep_it(user),
        "disable_form": disable_form,
    }
    return render(request, "portal/security.html", context, status=status)


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Django's password change in our layout; other sessions of the user end with it."""

    template_name = "portal/password_change.html"
    success_url = reverse_lazy("accounts:security")
    success_message = gettext_lazy("Your password has been changed.")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        _record_security_change(self.request, "password")
        return response


def _record_security_change(request: HttpRequest, what: str) -> None:
    """A user's own sign-in settings changed: the audit log names which, never a value."""
    user = _user(request)
    audit.record(
        AuditAction.CHANGED,
        user,
        label=_("user %(name)s") % {"name": user.username},
        detail={"fields": [what]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Offer a secret (QR code and text) and keep it once a code from the app confirms it."""
    user = _user(request)
    done = _next_or(request, reverse("accounts:security"))
    if two_factor.has_device(user):
        messages.info(request, _("Two-factor authentication is already on."))
        return redirect(done)
    form = two_factor.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.enable(user, request.session, form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            otp_login(request, device)
            request.session.cycle_key()
            _record_security_change(request, "two-factor on")
            messages.success(request, _("Two-factor authentication is on."))
            return redirect(done)
    device = two_factor.offered_device(user, request.session)
    context = {
        "form": form,
        "qr_svg": two_factor.qr_svg(device.config_url),
        "secret": two_factor.secret_text(device),
        "next": request.GET.get("next", ""),
        "required": _staff_must_keep_it(user),
    }
    status = 422 if form.errors else 200
    return render(request, "portal/two_factor_setup.html", context, status=status)


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turn the second factor off, proven with a current code."""
    user = _user(request)
    if _staff_must_keep_it(user):
        messages.error(request, _("Staff must keep two-factor authentication on."))
        return redirect("accounts:security")
    form = two_factor.CodeForm(request.POST)
    if form.is_valid():
        try:
            two_factor.verify(user, form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            two_factor.disable(user)
            _record_security_change(request, "two-factor off")
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("accounts:security")
    return _security_page(request, form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of a login: the code from the user's authenticator app."""
    user = _user(request)
    done = _next_or(request, resolve_url(settings.LOGIN_REDIRECT_URL))
    if user.is_verified() or not two_factor.has_device(user):  # type: ignore[attr-defined]
        return redirect(done)
    form = two_factor.CodeForm(request.POST or None, autofocus=True)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify(user, form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            otp_login(request, device)
            request.session.cycle_key()
            return redirect(done)
    status = 422 if form.errors else 200
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "registration/login_code.html", context, status=status)
