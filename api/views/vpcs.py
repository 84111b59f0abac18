"""VPCs and their tiers: what Network → VPC does in the portal (network/views.py)."""

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import errors, refuse, refuse_form
from api.serializers import TierInput, TierSerializer, VpcInput, VpcSerializer
from api.views.common import ETAG_HEADER, IF_NONE_MATCH, NOT_MODIFIED, TenantView, checked, detail
from network import actions
from network.forms import TierForm, VpcForm
from network.models import Tier, Vpc
from portal.tenancy import get_owned

VPC_INPUT = frozenset(VpcInput().fields)
TIER_INPUT = frozenset(TierInput().fields)


class VpcView(TenantView):
    model = Vpc
    serializer_class = VpcSerializer

    def tenant_queryset(self) -> QuerySet[Vpc]:
        return (
            super()
            .tenant_queryset()
            .select_related("router__source_nat_ip", "vpn_gateway")
            .annotate(tier_count=Count("tiers"))
        )


@extend_schema(tags=["VPCs"])
class VpcList(VpcView):
    @extend_schema(
        summary="List your VPCs",
        responses={200: VpcSerializer(many=True), **errors(404)},
    )
    def get(self, request: Request) -> Response:
        return self.page(self.get_queryset())

    @extend_schema(
        summary="Create a VPC with its first tier (and its router)",
        request=VpcInput,
        responses={201: VpcSerializer, **errors(409, body=True)},
    )
    def post(self, request: Request) -> Response:
        form = VpcForm(checked(VpcInput, request.data))
        if not form.is_valid():
            refuse_form(form)
        try:
            vpc = actions.create_vpc(account=self.account, **form.cleaned_data)
        except ValidationError as error:
            refuse(error, fields=VPC_INPUT, field_map={"gateway": "tier_gateway"})
        data = VpcSerializer(self.owned(vpc.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["VPCs"])
class VpcDetail(VpcView):
    @extend_schema(
        summary="A VPC",
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses={200: VpcSerializer, 304: NOT_MODIFIED, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return detail(request, VpcSerializer(self.owned(pk)).data)

    @extend_schema(
        summary="Delete a VPC (refused while it has a VPN gateway)",
        responses={204: None, **errors(404, 409)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        try:
            actions.delete_vpc(vpc=self.owned(pk))
        except ValidationError as error:
            refuse(error, conflict=True)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TierView(TenantView):
    model = Tier
    serializer_class = TierSerializer

    def owned_vpc(self, pk: int) -> Vpc:
        vpc: Vpc = get_owned(self.tenant, Vpc.objects.select_related("router"), pk=pk)
        return vpc

    def tenant_queryset(self) -> QuerySet[Tier]:
        return super().tenant_queryset().filter(vpc_id=self.kwargs["pk"])


@extend_schema(tags=["VPCs"])
class TierList(TierView):
    @extend_schema(
        summary="List a VPC's tiers",
        responses={200: TierSerializer(many=True), **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        self.owned_vpc(pk)
        return self.page(self.get_queryset())

    @extend_schema(
        summary="Add a tier to a VPC",
        request=TierInput,
        responses={201: TierSerializer, **errors(404, body=True)},
    )
    def post(self, request: Request, pk: int) -> Response:
        vpc = self.owned_vpc(pk)
        form = TierForm(checked(TierInput, request.data))
        if not form.is_valid():
            refuse_form(form)
        try:
            tier = actions.add_tier(vpc=vpc, **form.cleaned_data)
        except ValidationError as error:
            refuse(error, fields=TIER_INPUT)
        return Response(TierSerializer(tier).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["VPCs"])
class TierDetail(TierView):
    @extend_schema(
        summary="A tier",
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses={200: TierSerializer, 304: NOT_MODIFIED, **errors(404)},
    )
    def get(self, request: Request, pk: int, tier_pk: int) -> Response:
        return detail(request, TierSerializer(self.owned(tier_pk)).data)

    @extend_schema(
        summary="Delete a tier (a VPC keeps at least one)",
        responses={204: None, **errors(404, 409)},
    )
    def delete(self, request: Request, pk: int, tier_pk: int) -> Response:
        tier = self.owned(tier_pk, self.get_queryset().select_related("vpc__router"))
        try:
            actions.delete_tier(tier=tier)
        except ValidationError as error:
            refuse(error, conflict=True)
        return Response(status=status.HTTP_204_NO_CONTENT)
