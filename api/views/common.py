"""What every resource view shares: the tenant gate, the tenancy door for DRF requests, and
ETags on detail reads."""

import hashlib
from typing import Any, TypeVar, cast

from django.db.models import Model, QuerySet
from django.utils.http import parse_etags
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import generics, permissions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import IdCursorPagination
from portal.models import Account
from portal.tenancy import get_owned, scoped, tenant_account
from portal.types import TenantRequest

M = TypeVar("M", bound=Model)


class IsTenant(permissions.BasePermission):
    """Signed in (a token, or a session with CSRF) and acting for an active account."""

    message = _("The API acts for a tenant account; this user has none.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        return getattr(request._request, "account", None) is not None


class TenantView(generics.GenericAPIView):
    """A resource of the request's account. Lookups go through portal.tenancy with the
    underlying HttpRequest, which the token authentication gave the token's account."""

    permission_classes = [IsTenant]
    pagination_class = IdCursorPagination
    metadata_class = None  # no OPTIONS descriptions: the schema documents every operation
    model: type[Model]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return self.model._default_manager.none()
        return self.tenant_queryset()

    def tenant_queryset(self) -> QuerySet[Any]:
        """The view's objects in the request's account (portal.tenancy.scoped)."""
        return self.scoped(self.model)

    def scoped(self, model: type[M]) -> QuerySet[M]:
        return scoped(self.tenant, model)

    def owned(self, pk: int, queryset: QuerySet[Any] | None = None) -> Any:
        """One object of the request's account, or 404."""
        return get_owned(self.tenant, self.get_queryset() if queryset is None else queryset, pk=pk)

    def page(self, queryset: QuerySet[Any]) -> Response:
        """One page (cursor pagination by id) of the queryset, serialized."""
        rows = self.paginate_queryset(queryset.order_by("id"))
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @property
    def tenant(self) -> TenantRequest:
        return cast(TenantRequest, self.request._request)

    @property
    def account(self) -> Account:
        return tenant_account(self.tenant)


# -- ETags -----------------------------------------------------------------------------------------

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag of an earlier answer: 304 without a body while the object is the same.",
)
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="A weak ETag of this answer's body.",
)
NOT_MODIFIED = OpenApiResponse(description="Not modified: your copy (If-None-Match) is current.")


def etag_of(data: Any) -> str:
    """A weak ETag: the serialized body's digest (the same JSON the client would receive)."""
    return 'W/"' + hashlib.sha256(JSONRenderer().render(data)).hexdigest()[:32] + '"'


def detail(request: Request, data: Any) -> Response:
    """A detail read with its ETag; 304 when If-None-Match names it (weak comparison)."""
    etag = etag_of(data)
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if "*" in wanted or etag.removeprefix("W/") in {tag.removeprefix("W/") for tag in wanted}:
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return Response(data, headers={"ETag": etag})


def checked(
    serializer_class: type[serializers.Serializer],
    data: Any,
    *,
    partial: bool = False,
) -> dict[str, Any]:
    """The request's JSON (or query) as the input serializer's types, or 400."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
