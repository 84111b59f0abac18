"""The audit log's ears on Django's auth signals: logins (the portal's and the admin's, which
share one backend chain), failed logins and logouts.

django-axes listens to the same signals (it counts failures and locks a username+address
out); these receivers only record and never raise, so axes' own handling is untouched. A
login refused during a lockout reaches ``user_login_failed`` too (axes' backend refuses it),
and is recorded as a failed login like any other. The credentials Django hands over are
already cleansed; only the username is kept.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from portal import audit
from portal.choices import AuditAction
from portal.models import User


@receiver(user_logged_in)
def record_login(sender: Any, request: HttpRequest | None, user: User, **_: Any) -> None:
    audit.record(AuditAction.LOGGED_IN, request=request, user=user)


@receiver(user_logged_out)
def record_logout(sender: Any, request: HttpRequest | None, user: User | None, **_: Any) -> None:
    if user is not None:  # a visitor who was not signed in has nothing to log out of
        audit.record(AuditAction.LOGGED_OUT, request=request, user=user)


@receiver(user_login_failed)
def record_failed_login(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    username = str(credentials.get(User.USERNAME_FIELD) or "")[:150]
    known = User.objects.select_related("account").filter(username=username).first()
    audit.record(
        AuditAction.LOGIN_FAILED,
        request=request,
        account=known.account if known is not None else None,
        name=username,
    )
