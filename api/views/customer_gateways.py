"""Customer gateways: Network → VPN Customer Gateway (vpn/views.py). The pre-shared key is
write-only: no answer carries it, only its mask."""

from typing import Any

from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import errors, refuse, refuse_form
from api.serializers import (
    CUSTOMER_GATEWAY_FIELDS,
    CustomerGatewayInput,
    CustomerGatewaySerializer,
)
from api.views.common import ETAG_HEADER, IF_NONE_MATCH, NOT_MODIFIED, TenantView, checked, detail
from vpn import actions
from vpn.forms import CustomerGatewayForm
from vpn.models import CustomerGateway

INPUT = frozenset(CustomerGatewayInput().fields)


class CustomerGatewayView(TenantView):
    model = CustomerGateway
    serializer_class = CustomerGatewaySerializer

    def save(self, instance: CustomerGateway, data: Any, *, partial: bool) -> CustomerGateway:
        """The portal's form and action on the request's fields; the others keep the model's
        defaults (create) or their current values (update)."""
        given = checked(CustomerGatewayInput, data, partial=partial)
        values = {**model_to_dict(instance, fields=CUSTOMER_GATEWAY_FIELDS), "psk": "", **given}
        form = CustomerGatewayForm(values, instance=instance, account=self.account)
        if not form.is_valid():
            refuse_form(form)
        customer_gateway = form.save(commit=False)
        for field in CUSTOMER_GATEWAY_FIELDS:  # the model's fields the form does not offer
            if field not in form.fields:
                setattr(customer_gateway, field, values[field])
        try:
            return actions.save_customer_gateway(
                customer_gateway, account=self.account, psk=form.cleaned_data["psk"]
            )
        except ValidationError as error:
            refuse(error, fields=INPUT)


@extend_schema(tags=["Customer gateways"])
class CustomerGatewayList(CustomerGatewayView):
    @extend_schema(
        summary="List your customer gateways",
        responses={200: CustomerGatewaySerializer(many=True), **errors(404)},
    )
    def get(self, request: Request) -> Response:
        return self.page(self.get_queryset())

    @extend_schema(
        summary="Create a customer gateway",
        request=CustomerGatewayInput,
        responses={201: CustomerGatewaySerializer, **errors(409, body=True)},
    )
    def post(self, request: Request) -> Response:
        saved = self.save(CustomerGateway(), request.data, partial=False)
        return Response(CustomerGatewaySerializer(saved).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["Customer gateways"])
class CustomerGatewayDetail(CustomerGatewayView):
    @extend_schema(
        summary="A customer gateway (its key masked)",
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses={200: CustomerGatewaySerializer, 304: NOT_MODIFIED, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return detail(request, CustomerGatewaySerializer(self.owned(pk)).data)

    @extend_schema(
        summary="Change a customer gateway (its connections are re-applied)",
        request=CustomerGatewayInput(partial=True),
        responses={200: CustomerGatewaySerializer, **errors(404, body=True)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        saved = self.save(self.owned(pk), request.data, partial=True)
        return Response(CustomerGatewaySerializer(saved).data)

    @extend_schema(
        summary="Delete a customer gateway (refused while connections use it)",
        responses={204: None, **errors(404, 409)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        try:
            actions.delete_customer_gateway(self.owned(pk))
        except ValidationError as error:
            refuse(error, conflict=True)
        return Response(status=status.HTTP_204_NO_CONTENT)
