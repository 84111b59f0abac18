"""VPN connections: the gateway's VPN Connection tab, its Add dialog, reset, delete, the
configuration download, and a long poll for a state."""

import time

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.devices import device_files, device_labels
from api.errors import Conflict, errors, refuse, refuse_form
from api.pagination import TimelinePagination
from api.serializers import (
    ConnectionEventSerializer,
    ConnectionFilter,
    DeviceQuery,
    DeviceSerializer,
    VpnConnectionDetailSerializer,
    VpnConnectionInput,
    VpnConnectionSerializer,
    WaitQuery,
)
from api.views.common import (
    ETAG_HEADER,
    IF_NONE_MATCH,
    NOT_MODIFIED,
    IsTenant,
    TenantView,
    checked,
    detail,
)
from portal import audit
from portal.choices import AuditAction
from vpn import actions
from vpn.crypto import UnreadableKey
from vpn.device_configs import DeviceRefused, render_device_config
from vpn.forms import ConnectionForm
from vpn.models import CustomerGateway, VpnConnection, VpnGateway
from vpn.specs import spec_for

POLL_SECONDS = 0.25  # how often a long poll reads the connection's state
INPUT = frozenset(VpnConnectionInput().fields)
# The model's fields the portal's Add dialog shows under its one drop-down.
ENDS = {"cidr_list": "customer_gateway", "gateway_ip": "customer_gateway"}


class ConnectionView(TenantView):
    model = VpnConnection
    serializer_class = VpnConnectionSerializer

    def tenant_queryset(self) -> QuerySet[VpnConnection]:
        return super().tenant_queryset().select_related("customer_gateway", "gateway__vpc__router")


@extend_schema(tags=["VPN connections"])
class GatewayConnections(ConnectionView):
    """/vpn-gateways/{id}/connections/: the VPN Connection tab and its Add dialog."""

    def gateway(self, pk: int) -> VpnGateway:
        gateway: VpnGateway = self.owned(pk, VpnGateway.objects.select_related("vpc__router"))
        return gateway

    @extend_schema(
        summary="List a VPN gateway's connections",
        responses={200: VpnConnectionSerializer(many=True), **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return self.page(self.get_queryset().filter(gateway=self.gateway(pk)))

    @extend_schema(
        summary="Add a connection to one of your customer gateways",
        request=VpnConnectionInput,
        responses={201: VpnConnectionDetailSerializer, **errors(404, 409, body=True)},
    )
    def post(self, request: Request, pk: int) -> Response:
        gateway = self.gateway(pk)
        available = self.scoped(CustomerGateway).exclude(connections__gateway=gateway)
        form = ConnectionForm(checked(VpnConnectionInput, request.data), queryset=available)
        if not form.is_valid():
            refuse_form(form)
        try:
            connection = actions.create_connection(
                gateway, form.cleaned_data["customer_gateway"], passive=form.cleaned_data["passive"]
            )
        except ValidationError as error:
            refuse(error, fields=INPUT, field_map=ENDS)
        data = VpnConnectionDetailSerializer(self.owned(connection.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["VPN connections"])
class ConnectionList(ConnectionView):
    @extend_schema(
        summary="List your VPN connections, with their state and its reason",
        parameters=[ConnectionFilter],
        responses={200: VpnConnectionSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        wanted = checked(ConnectionFilter, request.query_params)
        connections = self.get_queryset()
        if "state" in wanted:
            connections = connections.filter(state=wanted["state"])
        if "vpc" in wanted:
            connections = connections.filter(gateway__vpc_id=wanted["vpc"])
        return self.page(connections)


@extend_schema(tags=["VPN connections"])
class ConnectionDetail(ConnectionView):
    """One connection, with its counters; ``?wait=<state>&timeout=<s>`` long-polls.

    The long poll answers as soon as the connection is in the state asked for, or at the
    timeout with whatever state it is in (200 either way; 404 if it is deleted meanwhile). It
    reads one column every POLL_SECONDS in autocommit (no transaction is held open, so it sees
    the monitor's commits and locks nothing), and gives up after at most 60 s.

    The price is a server thread per waiting client: with gunicorn's sync workers a poll would
    hold a whole worker process, so docker/Dockerfile runs gthread workers (3 processes x 8
    threads), where a poll holds one thread and each thread at most one database connection.
    Clients waiting on many connections should list with ?state= instead of polling each one.
    """

    @extend_schema(
        summary="A VPN connection with its counters (optionally waiting for a state)",
        parameters=[WaitQuery, IF_NONE_MATCH, ETAG_HEADER],
        responses={
            200: VpnConnectionDetailSerializer,
            304: NOT_MODIFIED,
            **errors(400, 404),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        connection = self.owned(pk)
        query = checked(WaitQuery, request.query_params)
        wanted = query.get("wait")
        if wanted and connection.state != wanted:
            connection = self.wait_for(connection.pk, wanted, query["timeout"])
        return detail(request, VpnConnectionDetailSerializer(connection).data)

    def wait_for(self, pk: int, state: str, timeout: float) -> VpnConnection:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(POLL_SECONDS, left))
            now = VpnConnection.objects.filter(pk=pk).values_list("state", flat=True).first()
            if now is None:
                raise Http404(_("The connection was deleted."))
            if now == state:
                break
        return self.owned(pk)

    @extend_schema(
        summary="Delete a VPN connection (the tunnel is torn down)",
        responses={204: None, **errors(404)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        actions.delete_connection(self.owned(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["VPN connections"])
class ConnectionReset(ConnectionView):
    @extend_schema(
        summary="Reset a VPN connection (the tunnel goes down and is negotiated again)",
        request=None,
        responses={202: VpnConnectionDetailSerializer, **errors(404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        actions.reset_connection(self.owned(pk))
        data = VpnConnectionDetailSerializer(self.owned(pk)).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class _FirstRenderer(DefaultContentNegotiation):
    """The file is text/plain whatever the client accepts; errors are JSON."""

    def select_renderer(
        self,
        request: Request,
        renderers: list[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


@extend_schema(tags=["VPN connections"])
class ConnectionConfiguration(ConnectionView):
    content_negotiation_class = _FirstRenderer

    @extend_schema(
        summary="Download the configuration file of your device (pre-shared key included)",
        parameters=[
            DeviceQuery,
            OpenApiParameter(
                "Content-Disposition",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                description='attachment; filename="vpn-<id>-<device file>"',
            ),
        ],
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR, description="The device's configuration file."
            ),
            **errors(400, 404, 409),
        },
        description="409 when the device cannot follow the connection's settings: the detail "
        "names the customer gateway setting to change.",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        connection = self.owned(pk)
        device = checked(DeviceQuery, request.query_params)["device"]
        if connection.customer_gateway.account_id != connection.gateway.vpc.account_id:
            # A row joining two accounts (the gate refuses one; this never trusts that): its
            # file would hand one tenant another's pre-shared key.
            raise Http404(_("No such connection."))
        try:
            text = render_device_config(spec_for(connection), kind=device)
        except UnreadableKey:
            raise Conflict(
                _("This connection's pre-shared key cannot be read; ask your operator.")
            ) from None
        except DeviceRefused as refused:  # it names the customer gateway setting to change
            raise Conflict(str(refused)) from None
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        filename = f"vpn-{connection.pk}-{device_files()[device]}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        patch_cache_control(response, no_store=True, private=True)
        audit.record(AuditAction.DOWNLOADED, connection, detail={"device": device})
        return response


@extend_schema(tags=["VPN connections"])
class DeviceList(APIView):
    """The devices a connection's configuration can be downloaded for."""

    permission_classes = [IsTenant]
    metadata_class = None

    @extend_schema(
        summary="List the devices whose configuration you can download",
        responses={200: DeviceSerializer(many=True), **errors()},
    )
    def get(self, request: Request) -> Response:
        labels = device_labels()
        devices = [
            {"key": key, "label": labels[key], "filename": name}
            for key, name in device_files().items()
        ]
        return Response(DeviceSerializer(devices, many=True).data)


@extend_schema(tags=["VPN connections"])
class ConnectionEvents(ConnectionView):
    """/vpn-connections/{id}/events/: the connection's timeline, newest first."""

    pagination_class = TimelinePagination

    @extend_schema(
        summary="A VPN connection's timeline: every change of state with its reason, "
        "configuration pushes, resets, rekeys and router restarts, newest first",
        responses={200: ConnectionEventSerializer(many=True), **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        connection = self.owned(pk)
        events = connection.events.defer("detail")
        rows = self.paginate_queryset(events)
        return self.get_paginated_response(ConnectionEventSerializer(rows, many=True).data)
