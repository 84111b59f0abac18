"""The one door to tenant data.

Every tenant view reaches its objects through these accessors, which scope each lookup to the
request's account. An object of another account is a 404, never a 403 that leaks its existence.
Models say how they reach their account with a ``tenant_path`` class attribute
(``"account"``, ``"vpc__account"``, ...).
"""

from collections.abc import Callable
from functools import wraps
from inspect import iscoroutinefunction
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from portal.models import Account
from portal.types import TenantRequest

M = TypeVar("M", bound=Model)


class AccountMiddleware:
    """Sets ``request.account`` to the logged-in user's active account, or None."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: TenantRequest) -> HttpResponse:
        request.account = account_of(request)
        return self.get_response(request)


def account_of(request: HttpRequest) -> Account | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.account_id is None:
        return None
    account = user.account
    return account if account.is_active else None


def tenant_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Login required, and the user must act for an active account (else 404). An async view
    (a stream) too: AccountMiddleware has already read the account, so no query runs here."""
    if iscoroutinefunction(view):

        @wraps(view)
        async def async_wrapper(request: TenantRequest, *args: Any, **kwargs: Any) -> Any:
            tenant_account(request)
            return await view(request, *args, **kwargs)

        return login_required(async_wrapper)

    @wraps(view)
    def wrapper(request: TenantRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        tenant_account(request)  # 404 unless the user acts for an active account
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def tenant_account(request: TenantRequest) -> Account:
    """The account the request acts for, or 404 (in a ``tenant_view`` there always is one)."""
    if request.account is None:
        raise Http404("This page belongs to a tenant account.")
    return request.account


def scoped(request: TenantRequest, model_or_qs: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The objects of ``model_or_qs`` that belong to the request's account."""
    qs = model_or_qs if isinstance(model_or_qs, QuerySet) else model_or_qs._default_manager.all()
    account = request.account
    if account is None:
        return qs.none()
    # `tenant_path` is a class attribute of our tenant models (see above), unknown to Model; a
    # model that joins two owned objects also names the other end (`tenant_also`), so a row
    # that joined two accounts (written past every gate) is shown to neither.
    paths = (qs.model.tenant_path, *getattr(qs.model, "tenant_also", ()))  # type: ignore[attr-defined]
    return qs.filter(**{path: account for path in paths})


def get_owned(request: TenantRequest, model_or_qs: type[M] | QuerySet[M], **lookup: Any) -> M:
    """One object of the request's account, or 404."""
    return get_object_or_404(scoped(request, model_or_qs), **lookup)
