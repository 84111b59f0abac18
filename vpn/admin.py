"""Operators' view of VPN gateways, customer gateways (PSK masked) and connections.

Customer gateways are written through vpn/actions.py, like the portal writes them (the model's
rules, then the routers re-apply). VPN gateways and connections are the tenant's to make: here
they are read-only, but for deleting an unused gateway and the re-apply/reset actions.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import Count, Model, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.admin import ReadOnlyAdmin, ThroughActionsAdmin
from portal.badges import StateBadgeAdmin
from vpn import actions, policies, rules
from vpn.choices import CryptoStatus
from vpn.models import CryptoRule, CustomerGateway, VpnConnection, VpnGateway
from vpn.models.policy import allow_legacy, crypto_rules


class CustomerGatewayAdminForm(forms.ModelForm):
    """The key is write-only here too: a new one replaces it, the old one is never shown. The
    other fields pass the model's rules (its clean_fields() and clean()), as in the portal."""

    new_psk = forms.CharField(
        label=_("Replace pre-shared key"),
        required=False,
        strip=False,
        validators=[rules.validate_psk],
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current key."),
    )

    class Meta:
        model = CustomerGateway
        fields = [
            "account",
            "name",
            "gateway_ip",
            "cidr_list",
            "ike_encryption",
            "ike_integrity",
            "ike_dh",
            "esp_encryption",
            "esp_integrity",
            "esp_pfs",
            "ike_lifetime",
            "esp_lifetime",
            "dpd_enabled",
            "dpd_delay",
            "dpd_timeout",
            "ike_version",
            "split_connections",
            "force_encap",
            "remote_id_type",
            "remote_id",
            "local_id_type",
            "local_id",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["new_psk"].required = True
            self.fields["new_psk"].label = _("Pre-shared key")
            self.fields["new_psk"].help_text = ""
        for name in ("remote_id_type", "local_id_type"):
            if name in self.fields:  # left out, the model's default (the public IPs) stays
                self.fields[name].required = False
        if "gateway_ip" in self.fields:
            # Text, so that the model's address rules say what is wrong with it (vpn/rules.py).
            self.fields["gateway_ip"] = forms.CharField(
                label=_("gateway"), help_text=_("The public IPv4 address of the customer's device.")
            )


def uses_status(status: str) -> Q:
    """Customer gateways with at least one policy value of this status (by the current rules
    and, for the legacy values without a rule, ALLOW_LEGACY_CRYPTO)."""
    rules, legacy = crypto_rules(), allow_legacy()
    query = Q(pk__in=[])
    for field, kind in policies.FIELD_KINDS.items():
        values = [
            value
            for value, _label in policies.KIND_CHOICES[kind]
            if policies.status_of(kind, value, rules, allow_legacy=legacy) == status
        ]
        if not values:
            continue
        match = Q(**{f"{field}__in": values})
        if field == "esp_integrity":  # not used with GCM
            match &= ~Q(esp_encryption__in=policies.AEAD)
        query |= match
    return query


class CryptoPolicyFilter(admin.SimpleListFilter):
    """The customer gateways the operator's crypto policy has something to say about: they keep
    working, and their tenants see a notice, until they are edited."""

    title = _("crypto policy")
    parameter_name = "crypto_policy"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [
            (CryptoStatus.FORBIDDEN.value, _("uses a forbidden value")),
            (CryptoStatus.DEPRECATED.value, _("uses a deprecated value")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in (CryptoStatus.FORBIDDEN, CryptoStatus.DEPRECATED):
            return queryset.filter(uses_status(str(self.value())))
        return queryset


@admin.register(CryptoRule)
class CryptoRuleAdmin(admin.ModelAdmin):
    """The operator's crypto policy. A value without a rule is allowed (3DES and groups 2 and 5
    follow ALLOW_LEGACY_CRYPTO); a rule marks it deprecated, forbidden, or explicitly allowed."""

    list_display = ["kind", "value_label", "status", "note", "gateways_using", "updated"]
    list_editable = ["status"]
    list_display_links = ["kind", "value_label"]
    list_filter = ["status", "kind"]
    search_fields = ["value", "note"]
    fields = ["kind", "value", "status", "note"]

    @admin.display(description=_("value"), ordering="value")
    def value_label(self, obj: CryptoRule) -> str:
        return f"{policies.value_label(obj.kind, obj.value)} ({obj.value})"

    @admin.display(description=_("customer gateways using it"))
    def gateways_using(self, obj: CryptoRule) -> str:
        match = Q(pk__in=[])
        for field, kind in policies.FIELD_KINDS.items():
            if kind == obj.kind:
                match |= Q(**{field: obj.value})
        count = CustomerGateway.objects.filter(match).count()
        url = reverse("admin:vpn_customergateway_changelist")
        if obj.status == CryptoStatus.ALLOWED or not count:
            return str(count)
        return format_html('<a href="{}?crypto_policy={}">{}</a>', url, obj.status, count)


@admin.register(CustomerGateway)
class CustomerGatewayAdmin(ThroughActionsAdmin):
    form = CustomerGatewayAdminForm
    list_display = [
        "name",
        "account",
        "gateway_ip",
        "cidr_list",
        "ike_version",
        "ike_encryption",
        "esp_encryption",
        "psk",
        "connection_count",
        "crypto_policy",
        "updated",
    ]
    list_filter = [
        CryptoPolicyFilter,
        "account",
        "ike_version",
        "ike_encryption",
        "esp_encryption",
        "dpd_enabled",
    ]
    list_select_related = ["account"]
    search_fields = ["name", "gateway_ip", "cidr_list", "account__name"]
    readonly_fields = ["psk", "created", "updated"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: CustomerGateway | None = None
    ) -> list[str]:
        # A customer gateway stays in its account (its connections' other ends are there).
        return [*self.readonly_fields, *(["account"] if obj is not None else [])]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CustomerGateway]:
        return super().get_queryset(request).annotate(_connections=Count("connections"))

    @admin.display(description=_("pre-shared key"))
    def psk(self, obj: CustomerGateway) -> str:
        return obj.psk_masked

    @admin.display(description=_("connections"), ordering="_connections")
    def connection_count(self, obj: CustomerGateway) -> int:
        return getattr(obj, "_connections", 0)

    @admin.display(description=_("crypto policy"))
    def crypto_policy(self, obj: CustomerGateway) -> str:
        """What the crypto policy says of this gateway's values ("-" when all are allowed)."""
        findings = obj.policy_findings()
        if not findings:
            return "-"
        return ", ".join(f"{f.value} ({f.status})" for f in findings)

    def save_model(
        self,
        request: HttpRequest,
        obj: CustomerGateway,
        form: CustomerGatewayAdminForm,
        change: bool,
    ) -> None:
        actions.save_customer_gateway(obj, account=obj.account, psk=form.cleaned_data["new_psk"])

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        assert isinstance(obj, CustomerGateway)
        actions.delete_customer_gateway(obj)


# A tuple, so the one sequence types as both `fields` and `readonly_fields`.
_CONNECTION_INLINE_FIELDS = (
    "customer_gateway",
    "passive",
    "state_badge",
    "state_reason",
    "state_changed",
)


class VpnConnectionInline(StateBadgeAdmin, admin.TabularInline):
    model = VpnConnection
    fields = _CONNECTION_INLINE_FIELDS
    readonly_fields = _CONNECTION_INLINE_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(VpnGateway)
class VpnGatewayAdmin(ThroughActionsAdmin):
    list_display = ["public_ip", "vpc", "account", "connection_count", "created"]
    list_filter = ["vpc__account"]
    list_select_related = ["vpc__account"]
    search_fields = ["public_ip", "vpc__name", "vpc__account__name"]
    inlines = [VpnConnectionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a tenant confirms it, on their VPC router's Source NAT IP

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # nothing of it is an operator's to edit

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        assert isinstance(obj, VpnGateway)
        actions.delete_gateway(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[VpnGateway]:
        return super().get_queryset(request).annotate(_connections=Count("connections"))

    @admin.display(description=_("account"), ordering="vpc__account__name")
    def account(self, obj: VpnGateway) -> str:
        return obj.vpc.account.name

    @admin.display(description=_("connections"), ordering="_connections")
    def connection_count(self, obj: VpnGateway) -> int:
        return getattr(obj, "_connections", 0)


@admin.register(VpnConnection)
class VpnConnectionAdmin(StateBadgeAdmin, ReadOnlyAdmin):
    # Tenants add and delete connections (through the portal's gate); here they are read-only.
    list_display = [
        "id",
        "account",
        "vpc",
        "gateway_ip",
        "customer_gateway",
        "passive",
        "state_badge",
        "state_reason",
        "state_changed",
        "bytes_in",
        "bytes_out",
    ]
    list_filter = ["state", "passive", "gateway__vpc__account", "customer_gateway__ike_version"]
    list_select_related = ["gateway__vpc__account", "customer_gateway"]
    search_fields = [
        "customer_gateway__name",
        "customer_gateway__gateway_ip",
        "gateway__public_ip",
        "gateway__vpc__name",
        "gateway__vpc__account__name",
    ]
    readonly_fields = [
        "state",
        "state_reason",
        "state_changed",
        "established_at",
        "bytes_in",
        "bytes_out",
        "packets_in",
        "packets_out",
        "negotiated",
        "operator_detail",
        "pushed_fingerprint",
        "created",
    ]
    actions = ["reapply", "reset"]

    def has_operate_permission(self, request: HttpRequest) -> bool:
        """Re-apply and reset act on the router, not on the row: they need the change
        permission on VPN connections, although the rows themselves are read-only here."""
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    @admin.display(description=_("account"), ordering="gateway__vpc__account__name")
    def account(self, obj: VpnConnection) -> str:
        return obj.gateway.vpc.account.name

    @admin.display(description=_("VPC"), ordering="gateway__vpc__name")
    def vpc(self, obj: VpnConnection) -> str:
        return obj.gateway.vpc.name

    @admin.display(description=_("gateway IP"), ordering="gateway__public_ip")
    def gateway_ip(self, obj: VpnConnection) -> str:
        return obj.gateway.public_ip

    @admin.action(
        description=_("Re-apply the configuration on the router"), permissions=["operate"]
    )
    def reapply(self, request: HttpRequest, queryset: QuerySet[VpnConnection]) -> None:
        count = actions.reapply(list(queryset.select_related("gateway__vpc__router")))
        self.message_user(
            request, _("%(n)d connection(s) queued for re-apply.") % {"n": count}, messages.SUCCESS
        )

    @admin.action(description=_("Reset (terminate and initiate)"), permissions=["operate"])
    def reset(self, request: HttpRequest, queryset: QuerySet[VpnConnection]) -> None:
        connections = list(queryset.select_related("gateway__vpc__router"))
        for connection in connections:
            actions.reset_connection(connection)
        self.message_user(
            request, _("%(n)d connection(s) reset.") % {"n": len(connections)}, messages.SUCCESS
        )
