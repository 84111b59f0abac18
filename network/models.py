"""The cloud side: VPCs of an account, their tiers and routers, and the public IP pool."""

import ipaddress
from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from network import addressing
from network.choices import RouterProvider, RouterState, VpcState


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
        if not self.gateway:
            return  # the CIDR was invalid; clean_fields reported it
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


class Router(models.Model):
    """The VPC's virtual router: its Source NAT IP and the strongSwan daemon that serves VPNs."""

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
    provider = models.CharField(
        verbose_name=_("provider"),
        max_length=16,
        choices=RouterProvider.choices,
        default=RouterProvider.LAB,
    )
    vici_uri = models.CharField(
        verbose_name=_("VICI endpoint"),
        max_length=255,
        blank=True,
        help_text=_("unix:///path/charon.vici or tcp://host:port of this router's strongSwan."),
    )
    queue = models.CharField(
        verbose_name=_("agent queue"),
        max_length=64,
        blank=True,
        help_text=_("The Celery queue this router's agent consumes; router-<id> by default."),
    )
    state = models.CharField(
        verbose_name=_("state"),
        max_length=16,
        choices=RouterState.choices,
        default=RouterState.PROVISIONING,
    )
    state_reason = models.CharField(
        verbose_name=_("reason"),
        max_length=255,
        blank=True,
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
    def queue_name(self) -> str:
        return self.queue or f"router-{self.pk}"

    @property
    def public_ip(self) -> str:
        return self.source_nat_ip.address
