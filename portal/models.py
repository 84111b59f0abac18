"""Accounts (tenants), their quotas, the users who belong to them, and their audit log."""

from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.choices import AuditAction, AuditVia

QuotaField = Literal["vpc_quota", "customer_gateway_quota", "connection_quota"]
# An account's own quota, or (left empty) the default the operator sets in the settings.
QUOTA_DEFAULTS: dict[QuotaField, str] = {
    "vpc_quota": "PORTAL_QUOTA_VPCS",
    "customer_gateway_quota": "PORTAL_QUOTA_CUSTOMER_GATEWAYS",
    "connection_quota": "PORTAL_QUOTA_CONNECTIONS",
}


class Account(models.Model):
    """A tenant. Every tenant-visible object belongs to exactly one account."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
        unique=True,
    )
    is_active = models.BooleanField(
        verbose_name=_("active"),
        default=True,
        help_text=_("Users of an inactive account cannot log in to the console."),
    )
    vpc_quota = models.PositiveIntegerField(
        verbose_name=_("VPC quota"),
        null=True,
        blank=True,
        help_text=_("The most VPCs this account may have. Empty: the default (PORTAL_QUOTA_VPCS)."),
    )
    customer_gateway_quota = models.PositiveIntegerField(
        verbose_name=_("customer gateway quota"),
        null=True,
        blank=True,
        help_text=_(
            "The most customer gateways this account may have. "
            "Empty: the default (PORTAL_QUOTA_CUSTOMER_GATEWAYS)."
        ),
    )
    connection_quota = models.PositiveIntegerField(
        verbose_name=_("VPN connection quota"),
        null=True,
        blank=True,
        help_text=_(
            "The most VPN connections this account may have, over all its VPCs. "
            "Empty: the default (PORTAL_QUOTA_CONNECTIONS)."
        ),
    )
    created = models.DateTimeField(
        verbose_name=_("created"),
        auto_now_add=True,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.name

    def limit(self, field: QuotaField) -> int:
        """The account's own quota, or the operator's default when it has none."""
        own: int | None = getattr(self, field)
        return own if own is not None else int(getattr(settings, QUOTA_DEFAULTS[field]))


@dataclass(frozen=True)
class Quota:
    """How many objects of one kind an account has, and how many it may have.

    Counted by the app that owns the objects (network and vpn actions); their actions refuse a new
    one with `check()` while they hold the account's row lock, and their pages show `message`.
    """

    used: int
    limit: int
    things: str  # the plural noun, e.g. "VPCs"

    @property
    def reached(self) -> bool:
        return self.used >= self.limit

    @property
    def message(self) -> str:
        return gettext(
            "You have %(used)d of %(limit)d %(things)s. Delete one or ask your operator for more."
        ) % {"used": self.used, "limit": self.limit, "things": self.things}

    def check(self) -> None:
        """Refuse one more (ValidationError with code "quota") when the quota is reached."""
        if self.reached:
            raise ValidationError(self.message, code="quota")


class User(AbstractUser):
    """A console user. Tenants have an account; operators (staff) may have none."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        help_text=_("The tenant this user acts for. Staff without an account use the admin site."),
    )

    class Meta(AbstractUser.Meta):
        ordering = ["username"]
        swappable = "AUTH_USER_MODEL"


class AuditEvent(models.Model):
    """One tenant's or operator's action: who, when, through which door, from which address,
    and on what. Written by ``portal.audit.record`` in the action's own transaction and never
    changed afterwards; pruned after ``PORTAL_AUDIT_RETENTION_DAYS``.

    ``detail`` holds names (the fields that changed, the device whose file was downloaded, a
    count), never a value of a secret: no pre-shared key, token or password.
    """

    tenant_path = "account"

    when = models.DateTimeField(
        verbose_name=_("when"),
        default=timezone.now,
        db_index=True,
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,  # the operators keep the record of a deleted account
        related_name="audit_events",
        null=True,
        blank=True,
        help_text=_("Empty for the platform's own objects and failed logins of unknown users."),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        related_name="audit_events",
        null=True,
        blank=True,
    )
    actor_name = models.CharField(
        verbose_name=_("username"),
        max_length=150,
        blank=True,
        help_text=_("Kept as text, so the event still says who after the user is deleted."),
    )
    via = models.CharField(
        verbose_name=_("via"),
        max_length=16,
        choices=AuditVia.choices,
    )
    action = models.CharField(
        verbose_name=_("action"),
        max_length=32,
        choices=AuditAction.choices,
    )
    object_type = models.CharField(
        verbose_name=_("object type"),
        max_length=100,
        blank=True,
        help_text=_('The model\'s label, e.g. "vpn.customergateway"; empty for a login.'),
    )
    object_id = models.CharField(
        verbose_name=_("object id"),
        max_length=64,
        blank=True,
    )
    object_label = models.CharField(
        verbose_name=_("on"),
        max_length=200,
        blank=True,
    )
    address = models.GenericIPAddressField(
        verbose_name=_("address"),
        null=True,
        blank=True,
        help_text=_("The client's address (PORTAL_PROXY_COUNT says which one to trust)."),
    )
    detail = models.JSONField(
        verbose_name=_("detail"),
        default=dict,
        blank=True,
    )

    class Meta:
        ordering = ["-when", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["account", "-when", "-id"], name="portal_audit_account_when"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(via__in=AuditVia.values),
                name="portal_audit_via_known",
                violation_error_message=_("Unknown door."),
            ),
        ]

    def __str__(self) -> str:
        who = self.actor_name or self.get_via_display()
        what = f"{self.get_action_display()} {self.object_label}"
        return f"{self.when:%Y-%m-%d %H:%M:%S} {who} {what}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Append-only: an event is written once and never changed."""
        if not self._state.adding:
            raise ValueError("Audit events are never changed.")
        super().save(*args, **kwargs)
