"""The API's JSON shapes. Output serializers are read-only views of the models; input
serializers only check JSON types (and document them in the schema): the portal's own forms
and actions then validate, so the same bad input gets the same message (api/views/).

Messages the type checks can give are the Django forms' words ("This field is required.",
"Enter a whole number.", "Select a valid choice. ..."), so nothing changes with the layer that
happened to catch a mistake.
"""

from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.devices import device_files
from network.models import Tier, Vpc
from vpn.choices import (
    ConnectionState,
    DhGroup,
    IdentityType,
    IkeEncryption,
    IkeVersion,
    Integrity,
    PfsGroup,
)
from vpn.models import ConnectionEvent, CustomerGateway, VpnConnection, VpnGateway

# Django forms' wording for what the JSON type checks catch first.
_INVALID_CHOICE = _("Select a valid choice. {input} is not one of the available choices.")
_NOT_A_NUMBER = _("Enter a whole number.")


def _text(**kwargs: Any) -> serializers.CharField:
    """A string; an empty one passes here, so the form says "This field is required."."""
    return serializers.CharField(allow_blank=True, **kwargs)


def _choice(choices: type[TextChoices], **kwargs: Any) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices.choices, error_messages={"invalid_choice": _INVALID_CHOICE}, **kwargs
    )


def _integer(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(error_messages={"invalid": _NOT_A_NUMBER}, **kwargs)


def _flag(**kwargs: Any) -> serializers.BooleanField:
    return serializers.BooleanField(required=False, **kwargs)


# -- VPCs ----------------------------------------------------------------------------------------


class TierSerializer(serializers.ModelSerializer[Tier]):
    class Meta:
        model = Tier
        fields = ["id", "vpc", "name", "cidr", "gateway", "created"]
        read_only_fields = fields


class VpcSerializer(serializers.ModelSerializer[Vpc]):
    public_ip = serializers.CharField(
        source="router.public_ip",
        read_only=True,
        help_text=_("The VPC router's Source NAT IP (the VPN gateway's address)."),
    )
    router_health = serializers.CharField(
        source="router.tenant_message",
        read_only=True,
        help_text=_("The router's health in a plain sentence; empty when all is well."),
    )
    vpn_gateway = serializers.SerializerMethodField(
        help_text=_("The id of the VPC's VPN gateway, or null when it has none.")
    )
    tier_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Vpc
        fields = [
            "id",
            "name",
            "description",
            "cidr",
            "state",
            "public_ip",
            "router_health",
            "vpn_gateway",
            "tier_count",
            "created",
        ]
        read_only_fields = fields

    def get_vpn_gateway(self, vpc: Vpc) -> int | None:
        gateway = getattr(vpc, "vpn_gateway", None)
        return gateway.pk if gateway is not None else None


class VpcInput(serializers.Serializer[dict[str, Any]]):
    """As the portal's VPC form: the VPC and its first tier."""

    name = _text()
    description = _text(required=False, default="")
    cidr = _text(help_text=_("A private IPv4 range, e.g. 10.1.0.0/16."))
    tier_name = _text()
    tier_cidr = _text(help_text=_("Inside the VPC CIDR, e.g. 10.1.1.0/24."))
    tier_gateway = _text(required=False, default="", help_text=_("Empty: the first host address."))


class TierInput(serializers.Serializer[dict[str, Any]]):
    name = _text()
    cidr = _text()
    gateway = _text(required=False, default="", help_text=_("Empty: the first host address."))


# -- Customer gateways ---------------------------------------------------------------------------

# Every field a tenant sets (the model's editable ones, in its order), whatever the form
# offers; the key only as the write-only "psk".
_NOT_SET = {"id", "account", "psk_encrypted", "psk_length"}
CUSTOMER_GATEWAY_FIELDS = [
    field.name
    for field in CustomerGateway._meta.concrete_fields
    if field.editable and field.name not in _NOT_SET
]


class CustomerGatewaySerializer(serializers.ModelSerializer[CustomerGateway]):
    """Every field but the key: only its mask (its length) is ever returned."""

    psk_masked = serializers.CharField(
        read_only=True, help_text=_("The pre-shared key's length; the key is never returned.")
    )

    class Meta:
        model = CustomerGateway
        fields = ["id", *CUSTOMER_GATEWAY_FIELDS, "psk_masked", "created", "updated"]
        read_only_fields = fields


class CustomerGatewayInput(serializers.Serializer[dict[str, Any]]):
    """As the portal's customer gateway form; optional fields keep the model's defaults on
    create and their current values on update (PATCH)."""

    name = _text()
    gateway_ip = _text(help_text=_("The public IPv4 address of your VPN device."))
    cidr_list = _text(help_text=_("The networks behind your device, comma separated."))
    psk = _text(
        write_only=True,
        trim_whitespace=False,
        required=False,
        help_text=_(
            "IPsec pre-shared key: 8 to 64 printable ASCII characters; no quotes, backslash or "
            "line breaks. Required on create; on update, empty or absent keeps the current key. "
            "Never returned."
        ),
    )
    ike_encryption = _choice(IkeEncryption, required=False)
    ike_integrity = _choice(Integrity, required=False)
    ike_dh = _choice(DhGroup, required=False)
    esp_encryption = _choice(IkeEncryption, required=False)
    esp_integrity = _choice(
        Integrity, required=False, allow_blank=True, help_text=_("Empty with GCM.")
    )
    esp_pfs = _choice(PfsGroup, required=False)
    ike_lifetime = _integer(required=False, help_text=_("1200 to 86400 seconds."))
    esp_lifetime = _integer(required=False, help_text=_("1200 to 86400 seconds."))
    dpd_enabled = _flag()
    dpd_delay = _integer(required=False)
    dpd_timeout = _integer(required=False)
    ike_version = _choice(IkeVersion, required=False)
    split_connections = _flag()
    force_encap = _flag()
    local_id_type = _choice(IdentityType, required=False)
    local_id = _text(required=False, help_text=_("Empty: the VPN gateway's public IP."))
    remote_id_type = _choice(IdentityType, required=False)
    remote_id = _text(required=False, help_text=_("Empty: your device's public IP."))


# -- The VPN gateway and its connections ---------------------------------------------------------


class VpnGatewaySerializer(serializers.ModelSerializer[VpnGateway]):
    router_health = serializers.CharField(
        source="vpc.router.tenant_message",
        read_only=True,
        help_text=_("The router's health in a plain sentence; empty when all is well."),
    )

    class Meta:
        model = VpnGateway
        fields = ["id", "vpc", "public_ip", "router_health", "created"]
        read_only_fields = fields


class VpnConnectionSerializer(serializers.ModelSerializer[VpnConnection]):
    vpc = serializers.IntegerField(source="gateway.vpc_id", read_only=True)
    customer_gateway_name = serializers.CharField(source="customer_gateway.name", read_only=True)
    state = serializers.ChoiceField(choices=ConnectionState.choices, read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = VpnConnection
        fields = [
            "id",
            "gateway",
            "vpc",
            "customer_gateway",
            "customer_gateway_name",
            "passive",
            "state",
            "state_label",
            "state_reason",
            "state_changed",
            "established_at",
            "created",
        ]
        read_only_fields = fields


class ConnectionEventSerializer(serializers.ModelSerializer[ConnectionEvent]):
    """One line of a connection's timeline (the detail page's Timeline)."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ConnectionEvent
        fields = ["id", "at", "kind", "kind_label", "state", "reason"]
        read_only_fields = fields


class VpnConnectionDetailSerializer(VpnConnectionSerializer):
    """With the traffic counters, the negotiated algorithms and the router's health."""

    router_health = serializers.CharField(
        source="gateway.vpc.router.tenant_message",
        read_only=True,
        help_text=_("The router's health in a plain sentence; empty when all is well."),
    )

    class Meta(VpnConnectionSerializer.Meta):
        fields = [
            *VpnConnectionSerializer.Meta.fields,
            "bytes_in",
            "bytes_out",
            "packets_in",
            "packets_out",
            "negotiated",
            "router_health",
        ]
        read_only_fields = fields


class VpnConnectionInput(serializers.Serializer[dict[str, Any]]):
    """As the portal's Add dialog: one of your customer gateways not yet connected here."""

    customer_gateway = _integer(help_text=_("The id of one of your customer gateways."))
    passive = _flag(default=False, help_text=_("Only respond: your device starts the tunnel."))


class ConnectionFilter(serializers.Serializer[dict[str, Any]]):
    state = _choice(ConnectionState, required=False, help_text=_("Only connections in it."))
    vpc = _integer(required=False, help_text=_("Only the connections of this VPC (its id)."))


class WaitQuery(serializers.Serializer[dict[str, Any]]):
    """The long poll of a connection's detail."""

    wait = _choice(
        ConnectionState,
        required=False,
        help_text=_("Answer as soon as the connection is in this state (or at the timeout)."),
    )
    timeout = serializers.FloatField(
        required=False,
        default=30.0,
        min_value=0,
        max_value=60,
        help_text=_("Seconds to wait at most (0 to 60; default 30); only with wait."),
    )


class DeviceSerializer(serializers.Serializer[dict[str, Any]]):
    key = serializers.CharField(help_text=_("The value of ?device= for the configuration."))
    label = serializers.CharField(help_text=_("Vendor, platform and software version."))
    filename = serializers.CharField(help_text=_("The downloaded file's name ends in this."))


class DeviceQuery(serializers.Serializer[dict[str, Any]]):
    device = serializers.ChoiceField(
        choices=list(device_files()),
        error_messages={"invalid_choice": _INVALID_CHOICE},
        help_text=_("A device key from /api/v1/devices/."),
    )
