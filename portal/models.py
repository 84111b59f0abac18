"""Accounts (tenants) and the users who belong to them."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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
