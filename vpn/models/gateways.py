"""VPN gateways (our side, one per VPC) and customer gateways (the tenant's devices)."""

from collections.abc import Collection, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from network import addressing
from vpn import crypto, policies, rules
from vpn.choices import (
    CryptoStatus,
    DhGroup,
    IdentityType,
    IkeEncryption,
    IkeVersion,
    Integrity,
    PfsGroup,
)
from vpn.models.networks import CustomerGatewayNetwork, indexed_networks
from vpn.models.policy import allow_legacy, crypto_rules

LIFETIME_MIN, LIFETIME_MAX = 1200, 86400


class VpnGateway(models.Model):
    """The VPC's one Site-to-Site VPN gateway, on its router's Source NAT IP."""

    tenant_path = "vpc__account"

    vpc = models.OneToOneField(
        "network.Vpc",
        verbose_name=_("VPC"),
        on_delete=models.PROTECT,
        related_name="vpn_gateway",
        help_text=_("One gateway per VPC (a database constraint)."),
    )
    public_ip = models.GenericIPAddressField(
        verbose_name=_("public IP"),
        protocol="IPv4",
        help_text=_("The VPC router's Source NAT IP."),
    )
    created = models.DateTimeField(
        verbose_name=_("created"),
        auto_now_add=True,
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("VPN gateway")
        verbose_name_plural = _("VPN gateways")

    def __str__(self) -> str:
        return f"VPN gateway {self.public_ip} ({self.vpc})"

    def get_absolute_url(self) -> str:
        return reverse("vpn:gateway-detail", args=[self.pk])


class CustomerGatewayQuerySet(models.QuerySet["CustomerGateway"]):
    def bulk_create(
        self,
        objs: Iterable[Any],  # CustomerGateway (django-stubs leaves the base's type unbound)
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[Any]:
        """The rows, then their remote networks' rows (the benchmark makes gateways in bulk)."""
        if update_conflicts:  # the rows updated would keep their old networks' rows
            raise NotImplementedError("update_conflicts would leave the networks' rows behind")
        with transaction.atomic(using=self.db, savepoint=False):
            made = super().bulk_create(
                objs,
                batch_size=batch_size,
                ignore_conflicts=ignore_conflicts,
                update_fields=update_fields,
                unique_fields=unique_fields,
            )
            CustomerGatewayNetwork.objects.using(self.db).bulk_create(
                [
                    CustomerGatewayNetwork(customer_gateway=gateway, network=network)
                    for gateway in made
                    if gateway.pk is not None  # not one of ignore_conflicts' skipped rows
                    for network in indexed_networks(gateway.cidr_list)
                ],
                batch_size=batch_size,
            )
        return made


class CustomerGateway(models.Model):
    """A tenant's remote VPN device: its public IP, networks, crypto policy and pre-shared key.

    Its remote networks are also kept as rows (``networks``, vpn/models/networks.py) for the
    overlap rule's index: ``save()`` and ``bulk_create()`` write them; nothing else may write
    ``cidr_list`` (a ``QuerySet.update()`` of it would leave them behind)."""

    tenant_path = "account"

    account = models.ForeignKey(
        "portal.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="customer_gateways",
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=64,
    )
    gateway_ip = models.GenericIPAddressField(
        verbose_name=_("gateway"),
        protocol="IPv4",
        help_text=_("The public IPv4 address of your VPN device."),
    )  # indexed (Meta): the rule of one IP per VPN gateway looks it up
    cidr_list = models.TextField(
        verbose_name=_("CIDR list"),
        help_text=_("The networks behind your device, comma separated."),
    )
    psk_encrypted = models.TextField(
        verbose_name=_("IPsec pre-shared key (encrypted)"),
    )
    psk_length = models.PositiveSmallIntegerField(
        verbose_name=_("pre-shared key length"),
        default=0,
    )
    ike_encryption = models.CharField(
        verbose_name=_("IKE encryption"),
        max_length=16,
        choices=IkeEncryption.choices,
        default=IkeEncryption.AES256,
    )
    ike_integrity = models.CharField(
        verbose_name=_("IKE integrity"),
        max_length=8,
        choices=Integrity.choices,
        default=Integrity.SHA256,
    )
    ike_dh = models.CharField(
        verbose_name=_("IKE Diffie-Hellman group"),
        max_length=16,
        choices=DhGroup.choices,
        default=DhGroup.MODP2048,
    )
    esp_encryption = models.CharField(
        verbose_name=_("ESP encryption"),
        max_length=16,
        choices=IkeEncryption.choices,
        default=IkeEncryption.AES256,
    )
    esp_integrity = models.CharField(
        verbose_name=_("ESP integrity"),
        max_length=8,
        choices=Integrity.choices,
        default=Integrity.SHA256,
        help_text=_("Not used with GCM, which authenticates by itself."),
    )
    esp_pfs = models.CharField(
        verbose_name=_("ESP perfect forward secrecy"),
        max_length=16,
        choices=PfsGroup.choices,
        default=PfsGroup.MODP2048,
    )
    ike_lifetime = models.PositiveIntegerField(
        verbose_name=_("IKE lifetime (seconds)"),
        default=86400,
    )
    esp_lifetime = models.PositiveIntegerField(
        verbose_name=_("ESP lifetime (seconds)"),
        default=3600,
    )
    dpd_enabled = models.BooleanField(
        verbose_name=_("dead peer detection"),
        default=True,
    )
    dpd_delay = models.PositiveIntegerField(
        verbose_name=_("DPD delay (seconds)"),
        # A silent peer is probed after this delay and declared dead when charon's
        # retransmissions give up (13.2 s later on our routers): 5 s keeps a dead peer's
        # Disconnected under 20 s (docs/performance.md).
        default=5,
        help_text=_(
            "Seconds of silence before the peer is probed. A dead peer shows as "
            "Disconnected about 13 seconds after that."
        ),
    )
    dpd_timeout = models.PositiveIntegerField(
        verbose_name=_("DPD timeout (seconds)"),
        default=30,
    )
    ike_version = models.CharField(
        verbose_name=_("IKE version"),
        max_length=8,
        choices=IkeVersion.choices,
        default=IkeVersion.IKEV2,
    )
    split_connections = models.BooleanField(
        verbose_name=_("split connections"),
        default=False,
        help_text=_("IKEv2 only: one child SA per remote CIDR."),
    )
    force_encap = models.BooleanField(
        verbose_name=_("force UDP encapsulation"),
        default=False,
    )
    remote_id_type = models.CharField(
        verbose_name=_("your device's identity type"),
        max_length=8,
        choices=IdentityType.choices,
        default=IdentityType.IP,
    )
    remote_id = models.CharField(
        verbose_name=_("your device's identity"),
        max_length=255,
        blank=True,
        help_text=_(
            "What your device sends as its IKE identity. Leave empty for its public IP "
            "(the gateway above); a device behind NAT often sends its private address."
        ),
    )
    local_id_type = models.CharField(
        verbose_name=_("our identity type"),
        max_length=8,
        choices=IdentityType.choices,
        default=IdentityType.IP,
    )
    local_id = models.CharField(
        verbose_name=_("our identity"),
        max_length=255,
        blank=True,
        help_text=_(
            "What our VPN gateway sends as its IKE identity, and what your device must expect. "
            "Leave empty for the VPN gateway's public IP."
        ),
    )
    created = models.DateTimeField(
        verbose_name=_("created"),
        auto_now_add=True,
    )
    updated = models.DateTimeField(
        verbose_name=_("updated"),
        auto_now=True,
    )

    objects = CustomerGatewayQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer gateway")
        verbose_name_plural = _("customer gateways")
        indexes = [
            models.Index(fields=["gateway_ip"], name="customergateway_gateway_ip"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"],
                name="customergateway_unique_name_per_account",
                violation_error_message=_("You already have a customer gateway with this name."),
            ),
            models.CheckConstraint(
                condition=Q(ike_lifetime__gte=LIFETIME_MIN, ike_lifetime__lte=LIFETIME_MAX),
                name="customergateway_ike_lifetime_range",
                violation_error_message=_("IKE lifetime must be 1200 to 86400 seconds."),
            ),
            models.CheckConstraint(
                condition=Q(esp_lifetime__gte=LIFETIME_MIN, esp_lifetime__lte=LIFETIME_MAX),
                name="customergateway_esp_lifetime_range",
                violation_error_message=_("ESP lifetime must be 1200 to 86400 seconds."),
            ),
            models.CheckConstraint(
                condition=Q(split_connections=False) | ~Q(ike_version="ikev1"),
                name="customergateway_split_needs_ikev2",
                violation_error_message=_("Split connections need IKEv2."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.gateway_ip})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """The row, and its remote networks' rows when ``cidr_list`` may have changed."""
        update_fields = kwargs.get("update_fields")
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)
            if update_fields is None or "cidr_list" in update_fields:
                self.index_networks()

    def get_absolute_url(self) -> str:
        return reverse("vpn:customer-gateway-edit", args=[self.pk])

    @property
    def cidrs(self) -> list[str]:
        return addressing.split_cidrs(self.cidr_list)

    def index_networks(self) -> None:
        """Make the ``networks`` rows those of ``cidr_list`` (as stored)."""
        wanted = indexed_networks(self.cidr_list)
        self.networks.exclude(network__in=wanted).delete()
        CustomerGatewayNetwork.objects.bulk_create(
            [CustomerGatewayNetwork(customer_gateway=self, network=n) for n in wanted],
            ignore_conflicts=True,  # the ones it has already
        )

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        """The address fields by vpn/rules.py (normalised; their messages say more than the
        fields' own), then every other field as Django checks it."""
        skip = set(exclude or ())
        errors: dict[str, list[str]] = {}
        if isinstance(self.name, str):
            self.name = self.name.strip()
        address_rules = (
            ("gateway_ip", rules.public_gateway_ip),
            ("cidr_list", rules.remote_cidr_list),
        )
        for field, rule in address_rules:
            if field not in skip:
                skip.add(field)
                try:
                    setattr(self, field, rule(getattr(self, field) or ""))
                except ValidationError as error:
                    errors[field] = error.messages
        identity_fields = (("remote_id_type", "remote_id"), ("local_id_type", "local_id"))
        for type_field, field in identity_fields:
            if field not in skip:
                skip.add(field)
                kind = getattr(self, type_field)
                if kind not in IdentityType.values:
                    continue  # Django's check of the type's choices says so
                try:
                    setattr(self, field, rules.identity(kind, getattr(self, field) or ""))
                except ValidationError as error:
                    errors[field] = error.messages
        if self.esp_encryption in policies.AEAD:
            self.esp_integrity = ""  # GCM authenticates by itself: no integrity in ESP
        if not self.esp_integrity:
            skip.add("esp_integrity")  # allowed with GCM; clean() says when it is missing
        try:
            super().clean_fields(exclude=skip)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        """Rules across fields: the name in its account, lifetimes, DPD, the policy charon can
        negotiate (vpn/policies.py), and the rules of every connection already using it."""
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.account_id is not None and self.name:
            taken = type(self).objects.filter(account_id=self.account_id, name=self.name)
            if taken.exclude(pk=self.pk).exists():
                add("name", gettext("You already have a customer gateway with this name."))
        for field in ("ike_lifetime", "esp_lifetime"):
            value = getattr(self, field)
            if isinstance(value, int) and not LIFETIME_MIN <= value <= LIFETIME_MAX:
                add(
                    field,
                    gettext("Must be %(lo)d to %(hi)d seconds.")
                    % {"lo": LIFETIME_MIN, "hi": LIFETIME_MAX},
                )
        delay, timeout = self.dpd_delay, self.dpd_timeout
        if self.dpd_enabled and isinstance(delay, int) and isinstance(timeout, int):
            if delay < 1:
                add("dpd_delay", gettext("The DPD delay must be at least 1 second."))
            elif timeout <= delay:
                add("dpd_timeout", gettext("The DPD timeout must be longer than the delay."))
        if self.split_connections and self.ike_version == IkeVersion.IKEV1:
            add("split_connections", gettext("Split connections need IKEv2."))
        policy = policies.validate_policy(
            ike_version=self.ike_version,
            ike_encryption=self.ike_encryption,
            ike_integrity=self.ike_integrity,
            ike_dh=self.ike_dh,
            esp_encryption=self.esp_encryption,
            esp_integrity=self.esp_integrity,
            esp_pfs=self.esp_pfs,
            allow_legacy=True,  # legacy values are the crypto policy's to judge (below)
            check_known=False,  # clean_fields() refuses values that are not choices
        )
        for field, message in policy.items():
            add(field, message)
        for finding in self.policy_findings():  # the operator's crypto policy
            if finding.status == CryptoStatus.FORBIDDEN:
                add(finding.field, finding.message)
        if self.pk is not None and self.has_valid_addresses():
            problems: list[rules.Problem] = []
            for connection in self.connections.select_related("gateway__vpc"):
                problems += rules.connection_problems(
                    connection.gateway, self, exclude_connection=connection.pk, counting=False
                )
            for field, messages in rules.as_errors(
                problems, {"customer_gateway": "account"}
            ).items():
                errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def policy_values(self) -> dict[str, str]:
        """The policy fields (field name -> value) the operator's crypto policy judges."""
        return {field: str(getattr(self, field) or "") for field in policies.FIELD_KINDS}

    def policy_findings(self) -> list[policies.Finding]:
        """The values of this gateway's policy that the operator deprecated or forbade."""
        return policies.policy_findings(
            self.policy_values(), crypto_rules(), allow_legacy=allow_legacy()
        )

    def has_valid_addresses(self) -> bool:
        """Whether the IP and CIDRs parse (the connection rules need them to)."""
        try:
            addressing.public_address(self.gateway_ip or "")
            networks = [addressing.parse_network(cidr) for cidr in self.cidrs]
        except ValidationError:
            return False
        return bool(networks)

    def set_psk(self, psk: str) -> None:
        self.psk_encrypted = crypto.encrypt(psk)
        self.psk_length = len(psk)

    def get_psk(self) -> str:
        return crypto.decrypt(self.psk_encrypted)

    @property
    def psk_masked(self) -> str:
        return crypto.mask(self.psk_length)
