"""A VPN connection: one VPN gateway to one customer gateway, and what charon says of it."""

from collections.abc import Iterable
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vpn import rules
from vpn.choices import STATE_STYLE, ConnectionState
from vpn.models.gateways import CustomerGateway
from vpn.models.networks import CustomerGatewayNetwork


class VpnConnectionQuerySet(models.QuerySet["VpnConnection"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        """Lock the rows first, as vpn.actions.delete_connection does for one: an agent writing
        their history now (vpn.history.lock_alive) finishes first or finds them gone."""
        with transaction.atomic(using=self.db):
            list(self.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
            return super().delete()

    def sharing_addresses(self, networks: Iterable[str], gateway_ip: str) -> Self:
        """Those whose customer gateway has the IP ``gateway_ip`` or a remote network
        overlapping one of ``networks``, on PostgreSQL by indexes (the customer gateways' IP,
        the GiST index of their networks): a few rows read, however many connections there
        are. Other databases (the demo's SQLite) have no overlap operator: there it is all of
        them, and the caller compares each (vpn/rules.py does either way)."""
        if connections[self.db].vendor != "postgresql":
            return self
        overlapping = Q()
        for network in networks:
            overlapping |= Q(network__overlaps=network)
        near = CustomerGateway.objects.filter(gateway_ip=gateway_ip).order_by().values("pk")
        if overlapping:
            networks_near = CustomerGatewayNetwork.objects.filter(overlapping).order_by()
            near = near.union(networks_near.values("customer_gateway_id"))
        return self.filter(customer_gateway__in=near)


class VpnConnection(models.Model):
    """Desired: this gateway talks to that customer gateway. Observed: state, SA, counters."""

    tenant_path = "gateway__vpc__account"
    tenant_also = ("customer_gateway__account",)

    gateway = models.ForeignKey(
        "vpn.VpnGateway",
        verbose_name=_("VPN gateway"),
        on_delete=models.PROTECT,
        related_name="connections",
    )
    customer_gateway = models.ForeignKey(
        "vpn.CustomerGateway",
        verbose_name=_("customer gateway"),
        on_delete=models.PROTECT,
        related_name="connections",
    )
    passive = models.BooleanField(
        verbose_name=_("passive"),
        default=False,
        help_text=_("Only respond: wait for your device to start the tunnel."),
    )
    state = models.CharField(
        verbose_name=_("state"),
        max_length=16,
        choices=ConnectionState.choices,
        default=ConnectionState.PENDING,
    )
    state_reason = models.CharField(
        verbose_name=_("reason"),
        max_length=255,
        blank=True,
    )
    state_changed = models.DateTimeField(
        verbose_name=_("state changed"),
        auto_now_add=True,
    )
    established_at = models.DateTimeField(
        verbose_name=_("established"),
        null=True,
        blank=True,
    )
    bytes_in = models.BigIntegerField(verbose_name=_("bytes in"), default=0)
    bytes_out = models.BigIntegerField(verbose_name=_("bytes out"), default=0)
    packets_in = models.BigIntegerField(verbose_name=_("packets in"), default=0)
    packets_out = models.BigIntegerField(verbose_name=_("packets out"), default=0)
    negotiated = models.CharField(
        verbose_name=_("negotiated algorithms"),
        max_length=255,
        blank=True,
    )
    ike_version = models.PositiveSmallIntegerField(
        verbose_name=_("negotiated IKE version"),
        null=True,
        blank=True,
    )
    nat_t = models.BooleanField(
        verbose_name=_("NAT traversal"),
        null=True,
        blank=True,
        help_text=_("Whether charon detected NAT between the ends (ESP then travels in UDP)."),
    )
    local_ts = models.CharField(
        verbose_name=_("local traffic selectors"), max_length=255, blank=True
    )
    remote_ts = models.CharField(
        verbose_name=_("remote traffic selectors"), max_length=255, blank=True
    )
    last_rekey = models.DateTimeField(verbose_name=_("last rekey"), null=True, blank=True)
    operator_detail = models.CharField(
        verbose_name=_("details for operators"),
        max_length=255,
        blank=True,
        help_text=_(
            "What charon said when it last refused this connection; never shown to tenants."
        ),
    )
    pushed_fingerprint = models.CharField(
        verbose_name=_("pushed configuration"),
        max_length=64,
        blank=True,
        help_text=_("Fingerprint of the configuration last loaded into charon."),
    )
    created = models.DateTimeField(
        verbose_name=_("created"),
        auto_now_add=True,
    )

    objects = VpnConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("VPN connection")
        verbose_name_plural = _("VPN connections")
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "customer_gateway"],
                name="vpnconnection_unique_pair",
                violation_error_message=_("This customer gateway is already connected here."),
            ),
        ]

    def __str__(self) -> str:
        return f"vpn-{self.pk}: {self.gateway.public_ip} ↔ {self.customer_gateway.gateway_ip}"

    def get_absolute_url(self) -> str:
        return reverse("vpn:gateway-detail", args=[self.gateway_id]) + "?tab=connections"

    def get_detail_url(self) -> str:
        return reverse("vpn:connection-detail", args=[self.pk])

    def clean(self) -> None:
        """Both ends in one account, and vpn/rules.py's address rules (the per-gateway limit
        only when adding); the customer gateway's problems are this connection's."""
        if self.gateway_id is None or self.customer_gateway_id is None:
            return  # the missing end is reported by its field
        customer_gateway = self.customer_gateway
        if not customer_gateway.has_valid_addresses():  # a row from before the rules
            raise ValidationError(
                {
                    "customer_gateway": gettext(
                        "Customer gateway %(name)s has an invalid IP or remote network; "
                        "correct it first."
                    )
                    % {"name": customer_gateway.name}
                }
            )
        problems = rules.connection_problems(
            self.gateway,
            customer_gateway,
            exclude_connection=self.pk,
            counting=self._state.adding,
        )
        if problems:
            ends = {"cidr_list": "customer_gateway", "gateway_ip": "customer_gateway"}
            raise ValidationError(rules.as_errors(problems, ends))

    @property
    def flapping(self) -> str:
        """ "Flapping: down 4 times in 15 minutes" when down PORTAL_FLAP_COUNT times or more in
        PORTAL_FLAP_MINUTES, else "". Reads the `recent_downs` annotation of
        vpn.history.with_flapping (the lists' own query)."""
        downs = getattr(self, "recent_downs", 0)
        if downs < settings.PORTAL_FLAP_COUNT:
            return ""
        return gettext("Flapping: down %(count)d times in %(minutes)d minutes") % {
            "count": downs,
            "minutes": settings.PORTAL_FLAP_MINUTES,
        }

    @property
    def state_style(self) -> tuple[str, str]:
        return STATE_STYLE[self.state]
