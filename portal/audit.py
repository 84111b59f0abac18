"""The audit log: who did what, when, through which door, from which address, and on what.

One function records: ``record(action, obj)``. The actions call it where they write
(network/actions.py, vpn/actions.py, api/actions.py), inside their own transaction, so the
event commits with the change and a rolled-back action leaves no event; the configuration
downloads (a read, no action) call it from their views, logins and logouts from Django's auth
signals (portal/receivers.py), key rotation from its command.

The actions do not take the request, and need not: ``AuditMiddleware`` holds the request being
served in a context variable for the duration of the request, and ``record`` reads the actor
from it when it is called: the user (for the REST API the token's user, which DRF sets on the
same request when it authenticates; the token's name and id go into the detail), the client's
address (``portal.security.client_ip``, which honours ``PORTAL_PROXY_COUNT``) and the door
from the URL's namespace (``admin``, ``api``, else the portal). Outside a request the door is
"system" (Celery tasks, the agent) unless a command says otherwise with ``acting(via=COMMAND)``.

``detail`` carries names only: the fields that changed, the device whose file was downloaded,
a count. Never a value of a secret (no pre-shared key, token or password).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from portal.choices import AuditAction, AuditVia
from portal.models import Account, AuditEvent, User
from portal.security import client_ip

log = logging.getLogger(__name__)

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_via: ContextVar[AuditVia] = ContextVar("audit_via", default=AuditVia.SYSTEM)

# The URL namespaces that are doors of their own; every other page is the portal.
_DOORS = {"admin": AuditVia.ADMIN, "api": AuditVia.API}
_SIGN_IN = {AuditAction.LOGGED_IN, AuditAction.LOGGED_OUT}
LABEL_LENGTH = AuditEvent._meta.get_field("object_label").max_length or 200


class AuditMiddleware:
    """Holds the request being served, so that the actions it calls can say who acted."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


@contextmanager
def acting(via: AuditVia) -> Iterator[None]:
    """Record what runs inside as coming through ``via`` (a management command says COMMAND)."""
    token = _via.set(via)
    try:
        yield
    finally:
        _via.reset(token)


def record(
    action: AuditAction,
    obj: Model | None = None,
    *,
    request: HttpRequest | None = None,
    account: Account | None = None,
    user: User | None = None,
    name: str = "",
    label: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one event, in the caller's transaction. ``obj`` is what was acted on (before a
    delete, so it still has its id). The event's account: ``account`` if given, else the one
    ``obj`` belongs to (its ``tenant_path``; none for the platform's nodes and addresses), and
    for what a user does to their own sign-in (a login, a logout, a password) the user's.
    ``user`` names the actor when the request does not (a login signal's user), ``name`` a
    username without a user (a failed login's); ``label`` replaces ``str(obj)``."""
    request = request if request is not None else _request.get()
    detail = dict(detail or {})
    actor = user
    signed_in = getattr(request, "user", None)
    if actor is None and isinstance(signed_in, User):
        actor = signed_in
    token = getattr(request, "auth", None) if request is not None else None
    if token is not None and hasattr(token, "name"):
        detail.setdefault("token", {"id": token.pk, "name": token.name})
    if account is None and obj is not None:
        account = account_of(obj)
    own_sign_in = isinstance(obj, User) or action in _SIGN_IN
    if account is None and actor is not None and own_sign_in:
        account = actor.account
    event = AuditEvent(
        account=account,
        actor=actor,
        actor_name=(actor.get_username() if actor is not None else name)[:150],
        via=_door(request),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_label=(label or (str(obj) if obj is not None else ""))[:LABEL_LENGTH],
        address=_address(request),
        detail=detail,
    )
    event.save()
    return event


def changed_fields(before: Model, after: Model, *, secret: Collection[str] = ()) -> list[str]:
    """The names of the concrete fields whose values differ (``secret`` fields never
    compared: a re-encrypted key differs every time; the caller says whether it was set)."""
    return [
        field.name
        for field in after._meta.concrete_fields
        if field.name not in secret
        and field.value_from_object(before) != field.value_from_object(after)
    ]


def account_of(obj: Model) -> Account | None:
    """The account an object belongs to, through its model's ``tenant_path`` (None for the
    platform's own objects: nodes, the address pool)."""
    path = getattr(obj, "tenant_path", None)
    if path is None:
        return None
    current: Any = obj
    for step in path.split("__"):
        current = getattr(current, step, None)
        if current is None:
            return None
    return current if isinstance(current, Account) else None


def prune(now: Any = None) -> int:
    """Delete the events older than ``PORTAL_AUDIT_RETENTION_DAYS``; how many went."""
    days = settings.PORTAL_AUDIT_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _by_model = AuditEvent.objects.filter(when__lt=cutoff).delete()
    if deleted:
        log.info("audit events pruned count=%d older_than_days=%d", deleted, days)
    return deleted


def _door(request: HttpRequest | None) -> AuditVia:
    if request is None:
        return _via.get()
    match = request.resolver_match
    namespace = match.namespaces[0] if match is not None and match.namespaces else ""
    return _DOORS.get(namespace, AuditVia.PORTAL)


def _address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:  # no address (a test client without one) or a malformed header
        return None
