"""The VPC's VPN gateway: Site-to-Site VPN Lists' confirm dialog, its page, its delete."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import errors, refuse
from api.serializers import VpnGatewaySerializer
from api.views.common import ETAG_HEADER, IF_NONE_MATCH, NOT_MODIFIED, TenantView, detail
from network.models import Vpc
from portal.tenancy import get_owned
from vpn import actions
from vpn.models import VpnGateway


class GatewayView(TenantView):
    model = VpnGateway
    serializer_class = VpnGatewaySerializer

    def tenant_queryset(self) -> QuerySet[VpnGateway]:
        return super().tenant_queryset().select_related("vpc__router")

    def delete_response(self, gateway: VpnGateway) -> Response:
        try:
            actions.delete_gateway(gateway)
        except ValidationError as error:
            refuse(error, conflict=True)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["VPN gateways"])
class VpcGateway(GatewayView):
    """/vpcs/{id}/vpn-gateway/: the one VPN gateway of a VPC."""

    def vpc(self, pk: int) -> Vpc:
        vpc: Vpc = get_owned(self.tenant, Vpc.objects.select_related("router"), pk=pk)
        return vpc

    def gateway(self, pk: int) -> VpnGateway:
        gateway = self.get_queryset().filter(vpc=self.vpc(pk)).first()
        if gateway is None:
            raise Http404(_("This VPC has no VPN gateway."))
        return gateway

    @extend_schema(
        summary="The VPC's VPN gateway",
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses={200: VpnGatewaySerializer, 304: NOT_MODIFIED, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return detail(request, VpnGatewaySerializer(self.gateway(pk)).data)

    @extend_schema(
        summary="Create the VPC's VPN gateway (the portal's confirm dialog; idempotent)",
        request=None,
        responses={
            201: OpenApiResponse(VpnGatewaySerializer, description="Created."),
            200: OpenApiResponse(VpnGatewaySerializer, description="It existed already."),
            **errors(404),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        try:
            gateway, created = actions.create_gateway(self.vpc(pk))
        except ValidationError:  # the VPC was deleted meanwhile
            raise Http404(_("This VPC no longer exists.")) from None
        data = VpnGatewaySerializer(self.get_queryset().get(pk=gateway.pk)).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Delete the VPC's VPN gateway (refused while it has connections)",
        responses={204: None, **errors(404, 409)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        return self.delete_response(self.gateway(pk))


@extend_schema(tags=["VPN gateways"])
class GatewayList(GatewayView):
    @extend_schema(
        summary="List your VPN gateways",
        responses={200: VpnGatewaySerializer(many=True), **errors(404)},
    )
    def get(self, request: Request) -> Response:
        return self.page(self.get_queryset())


@extend_schema(tags=["VPN gateways"])
class GatewayDetail(GatewayView):
    @extend_schema(
        summary="A VPN gateway",
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses={200: VpnGatewaySerializer, 304: NOT_MODIFIED, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return detail(request, VpnGatewaySerializer(self.owned(pk)).data)

    @extend_schema(
        summary="Delete a VPN gateway (refused while it has connections)",
        responses={204: None, **errors(404, 409)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        return self.delete_response(self.owned(pk))
