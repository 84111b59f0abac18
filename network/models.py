"""The cloud side: VPCs of an account, their tiers and routers, and the public IP pool."""

import ipaddress
from collections.abc import Collection
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network import addressing
from network.choices import (
    ROUTER_STATE_STYLE,
    TENANT_ROUTER_MESSAGES,
    VPC_STATE_STYLE,
    Datapath,
    RouterState,
    VpcState,
)
from portal.badges import Badge


def validate_private_cidr(value: str) -> None:
    addressing.private_network(value)


class PublicIp(models.Model):
    """An operator-managed public IPv4 address; a new VPC's router takes a free one."""

    address = models.GenericIPAddressField(
        verbose_name=_("address"),
        protocol="IPv4",
        unique=True,
    )
    note = models.CharField(
        verbose_name=_("note"),
        max_length=200,
        blank=True,
    )
    created = models.DateTimeField(
        verbose_name=_("created"),
        auto_now_add=True,
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("public IP")
        verbose_name_plural = _("public IP pool")

    def __str__(self) -> str:
        return self.address

    @property
    def in_use(self) -> bool:
        return hasattr(self, "router")

    def clean(self) -> None:
        """A public address (a router's Source NAT IP faces the internet); one a router uses
        keeps its value, or the router's tunnels would silently move."""
        try:
            self.address = str(addressing.public_address(self.address or ""))
        except ValidationError as error:
            raise ValidationError({"address": error.messages}) from None
        if self.pk is not None and hasattr(self, "router"):
            stored = PublicIp.objects.filter(pk=self.pk).values_list("address", flat=True).first()
            if stored is not None and stored != self.address:
                raise ValidationError(
                    {"address": _("A router uses this address; it cannot change.")}
                )


class Vpc(models.Model):
    """A tenant's virtual private cloud: a private CIDR split into tiers, behind one router."""

    tenant_path = "account"

    account = models.ForeignKey(
        "portal.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="vpcs",
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=64,
    )
    description = models.CharField(
        verbose_name=_("description"),
        max_length=255,
        blank=True,
    )
    cidr = models.CharField(
        verbose_name=_("CIDR"),
        max_length=18,
        validators=[validate_private_cidr],
        help_text=_("A private IPv4 range, e.g. 10.1.0.0/16. Tiers are carved out of it."),
    )
    state = models.CharField(
        verbose_name=_("state"),
        max_length=16,
        choices=VpcState.choices,
        default=VpcState.ENABLED,
    )
    created = models.DateTimeField(
        verbose_name=_("created"),
        auto_now_add=True,
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("VPC")
        verbose_name_plural = _("VPCs")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"],
                name="vpc_unique_name_per_account",
                violation_error_message=_("You already have a VPC with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("network:vpc-detail", args=[self.pk])

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.cidr)

    @property
    def state_style(self) -> Badge:
        return VPC_STATE_STYLE[self.state]

    def clean(self) -> None:
        """A VPC keeps its account and its CIDR: its tiers, its router and the VPN rules of its
        connections were all checked against them."""
        if isinstance(self.name, str):
            self.name = self.name.strip()
        if self.pk is None:
            return
        stored = Vpc.objects.filter(pk=self.pk).values("account_id", "cidr").first()
        if stored is None:
            return
        errors = {}
        if stored["account_id"] != self.account_id:
            errors["account"] = _("A VPC stays in its account.")
        if stored["cidr"] != self.cidr:
            errors["cidr"] = _("The CIDR of a VPC cannot change.")
        if errors:
            raise ValidationError(errors)


class Tier(models.Model):
    """A subnet of a VPC. Tiers of one VPC never overlap and stay inside its CIDR."""

    tenant_path = "vpc__account"

    vpc = models.ForeignKey(
        Vpc,
        verbose_name=_("VPC"),
        on_delete=models.CASCADE,
        related_name="tiers",
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=64,
    )
    cidr = models.CharField(
        verbose_name=_("CIDR"),
        max_length=18,
        validators=[validate_private_cidr],
        help_text=_("A subnet inside the VPC CIDR, e.g. 10.1.1.0/24."),
    )
    gateway = models.GenericIPAddressField(
        verbose_name=_("gateway"),
        protocol="IPv4",
        help_text=_("The router's address in this tier; the first host address when left empty."),
    )
    created = models.DateTimeField(
        verbose_name=_("created"),
        auto_now_add=True,
    )

    class Meta:
        ordering = ["vpc", "cidr", "id"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        constraints = [
            models.UniqueConstraint(
                fields=["vpc", "name"],
                name="tier_unique_name_per_vpc",
                violation_error_message=_("This VPC already has a tier with this name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cidr})"

    def get_absolute_url(self) -> str:
        return reverse("network:vpc-configure", args=[self.vpc_id])

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        if not self.gateway:
            try:
                self.gateway = str(addressing.parse_network(self.cidr).network_address + 1)
            except ValidationError:
                # The CIDR's own error is reported; no gateway error on top (it stays empty).
                exclude = {*(exclude or ()), "gateway"}
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        if not self.gateway or self.vpc_id is None:
            return  # the CIDR was invalid, or no VPC was given: their fields reported it
        try:
            network = addressing.private_network(self.cidr)
        except ValidationError as error:
            raise ValidationError({"cidr": error.messages}) from None
        vpc_network = ipaddress.IPv4Network(self.vpc.cidr)
        if not network.subnet_of(vpc_network):
            raise ValidationError(
                {
                    "cidr": _("%(cidr)s is outside the VPC CIDR %(vpc)s.")
                    % {"cidr": network, "vpc": vpc_network}
                }
            )
        if network.prefixlen > 29:
            raise ValidationError({"cidr": _("A tier needs at least a /29.")})
        siblings = Tier.objects.filter(vpc_id=self.vpc_id).exclude(pk=self.pk)
        for other in siblings:
            if network.overlaps(ipaddress.IPv4Network(other.cidr)):
                raise ValidationError(
                    {
                        "cidr": _("%(cidr)s overlaps tier %(name)s (%(other)s).")
                        % {"cidr": network, "name": other.name, "other": other.cidr}
                    }
                )
        gateway = ipaddress.IPv4Address(self.gateway)
        if gateway not in network or gateway in (
            network.network_address,
            network.broadcast_address,
        ):
            raise ValidationError(
                {
                    "gateway": _("The gateway must be a host address inside %(cidr)s.")
                    % {"cidr": network}
                }
            )


class NetworkNode(models.Model):
    """A host that runs VPC routers: one agent consuming only its own queue, a namespace and a
    charon per router. It registers itself and heartbeats; operators drain or disable it."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9-]*$",
                _("Lower-case letters, digits and hyphens, starting with a letter or digit."),
            )
        ],
    )
    enabled = models.BooleanField(
        verbose_name=_("enabled"),
        default=True,
        help_text=_("A disabled node gets no new routers and its routers fail over elsewhere."),
    )
    draining = models.BooleanField(
        verbose_name=_("draining"),
        default=False,
        help_text=_("A draining node keeps its routers but gets no new ones."),
    )
    capacity = models.PositiveIntegerField(
        verbose_name=_("capacity"),
        default=100,
        help_text=_("The most routers the scheduler places here (the agent reports it)."),
    )
    last_heartbeat = models.DateTimeField(
        verbose_name=_("last heartbeat"),
        null=True,
        blank=True,
    )
    version = models.CharField(
        verbose_name=_("agent version"),
        max_length=64,
        blank=True,
    )
    datapath = models.CharField(
        verbose_name=_("datapath"),
        max_length=16,
        choices=Datapath.choices,
        blank=True,
    )
    running_routers = models.JSONField(
        verbose_name=_("routers running"),
        default=list,
        blank=True,
        help_text=_("The router ids the agent reported in its last heartbeat."),
    )
    last_error = models.CharField(
        verbose_name=_("last error"),
        max_length=255,
        blank=True,
    )
    measurements = models.JSONField(
        verbose_name=_("agent measurements"),
        default=dict,
        blank=True,
        help_text=_(
            "Histograms the agent measured since it started (reconcile and push durations, task "
            "latency, monitor event lag), sent with each heartbeat."
        ),
    )
    registered = models.DateTimeField(
        verbose_name=_("registered"),
        auto_now_add=True,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("network node")
        verbose_name_plural = _("network nodes")

    def __str__(self) -> str:
        return self.name

    @property
    def queue(self) -> str:
        """The Celery queue only this node's agent consumes."""
        return f"node-{self.name}"

    def is_alive(self, now: datetime | None = None) -> bool:
        if self.last_heartbeat is None:
            return False
        now = now or timezone.now()
        return self.last_heartbeat >= now - down_after()


def down_after() -> timedelta:
    """How long a node may miss heartbeats before its routers fail over."""
    return timedelta(seconds=settings.NETWORK_NODE_DOWN_AFTER)


class Router(models.Model):
    """The VPC's virtual router: its Source NAT IP and the strongSwan daemon that serves VPNs,
    placed on one network node. `generation` grows with every placement: a node that still
    holds an older generation (it was presumed dead and came back) removes its copy."""

    tenant_path = "vpc__account"

    vpc = models.OneToOneField(
        Vpc,
        verbose_name=_("VPC"),
        on_delete=models.CASCADE,
        related_name="router",
    )
    source_nat_ip = models.OneToOneField(
        PublicIp,
        verbose_name=_("Source NAT IP"),
        on_delete=models.PROTECT,
        related_name="router",
    )
    node = models.ForeignKey(
        NetworkNode,
        verbose_name=_("network node"),
        on_delete=models.PROTECT,
        related_name="routers",
        null=True,
        blank=True,
    )
    generation = models.PositiveIntegerField(
        verbose_name=_("generation"),
        default=0,
        help_text=_("Grows with every placement; fences a node that holds an older copy."),
    )
    state = models.CharField(
        verbose_name=_("state"),
        max_length=16,
        choices=RouterState.choices,
        default=RouterState.UNSCHEDULED,
    )
    state_reason = models.CharField(
        verbose_name=_("reason"),
        max_length=255,
        blank=True,
        help_text=_("For operators: what the node or charon said."),
    )
    restarts = models.PositiveIntegerField(
        verbose_name=_("charon restarts"),
        default=0,
    )
    last_seen = models.DateTimeField(
        verbose_name=_("last seen"),
        null=True,
        blank=True,
    )
    reconcile_count = models.PositiveIntegerField(
        verbose_name=_("reconciles"),
        default=0,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("router")
        verbose_name_plural = _("routers")

    def __str__(self) -> str:
        return f"router of {self.vpc} ({self.source_nat_ip})"

    def get_absolute_url(self) -> str:
        return reverse("network:vpc-configure", args=[self.vpc_id])

    @property
    def public_ip(self) -> str:
        return self.source_nat_ip.address

    @property
    def state_style(self) -> Badge:
        return ROUTER_STATE_STYLE[self.state]

    @property
    def tenant_message(self) -> str:
        """The router's health in a plain sentence ("" when all is well)."""
        return str(TENANT_ROUTER_MESSAGES.get(RouterState(self.state), ""))
