"""Accounts (tenants), their quotas, and the users who belong to them."""

from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

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
