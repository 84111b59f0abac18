"""The operator's crypto policy: one rule per algorithm, group or IKE version that is not
simply allowed.

A value without a rule is allowed (the legacy ones follow ALLOW_LEGACY_CRYPTO: see
vpn/policies.py, which applies the rules). Forbidden values are refused by
CustomerGateway.clean() for new and edited gateways; gateways that already use one keep
working until they are edited, and the admin lists them.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vpn import policies
from vpn.choices import CryptoKind, CryptoStatus

# The whole policy is a few dozen rows read on every customer gateway form and save, so it is
# cached as one entry; a change to a rule deletes the entry (vpn/receivers.py), and the timeout
# bounds how long a process that read the database just before that change may serve it.
CACHE_KEY = "vpn:crypto-policy:1"
CACHE_SECONDS = 60


class CryptoRule(models.Model):
    """The operator's verdict on one value: deprecated (tenants are warned) or forbidden (new and
    edited customer gateways are refused), or allowed explicitly (a legacy value)."""

    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=16,
        choices=CryptoKind.choices,
    )
    value = models.CharField(
        verbose_name=_("value"),
        max_length=16,
        help_text=_("One of the kind's values, e.g. sha1 for integrity or modp1024 for a group."),
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=16,
        choices=CryptoStatus.choices,
        default=CryptoStatus.DEPRECATED,
        help_text=_(
            "Deprecated: tenants are warned. Forbidden: new and edited customer gateways are "
            "refused (existing ones keep working). A value without a rule is allowed, but 3DES "
            "and groups 2 and 5 follow PORTAL_ALLOW_LEGACY_CRYPTO (forbidden unless it is "
            "set); a rule overrides that setting either way."
        ),
    )
    note = models.CharField(
        verbose_name=_("note for tenants"),
        max_length=200,
        blank=True,
        help_text=_('Shown with the warning or refusal, e.g. "SHA-1 will be refused from 1 July."'),
    )
    updated = models.DateTimeField(
        verbose_name=_("updated"),
        auto_now=True,
    )

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("crypto rule")
        verbose_name_plural = _("crypto policy")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value"],
                name="cryptorule_unique_kind_value",
                violation_error_message=_("There is already a rule for this value."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CryptoStatus.values),
                name="cryptorule_status_valid",
                violation_error_message=_("Choose allowed, deprecated or forbidden."),
            ),
        ]

    def __str__(self) -> str:
        label = policies.value_label(self.kind, self.value) if self.kind else self.value
        return f"{label}: {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("admin:vpn_cryptorule_change", args=[self.pk])

    def clean(self) -> None:
        known = policies.KIND_CHOICES.get(self.kind)
        if known is not None and self.value not in dict(known):
            raise ValidationError(
                {
                    "value": gettext("Not a value of this kind; one of: %(values)s.")
                    % {"values": ", ".join(value for value, _label in known)}
                }
            )


def crypto_rules() -> policies.Rules:
    """Every rule as (kind, value) -> (status, note), from the cache when it has them."""
    rules = cache.get(CACHE_KEY)
    if rules is None:
        rules = {
            (kind, value): (status, note)
            for kind, value, status, note in CryptoRule.objects.values_list(
                "kind", "value", "status", "note"
            )
        }
        cache.set(CACHE_KEY, rules, CACHE_SECONDS)
    return rules


def forget_crypto_rules() -> None:
    cache.delete(CACHE_KEY)


def allow_legacy() -> bool:
    """The ALLOW_LEGACY_CRYPTO setting: the verdict on legacy values without a rule."""
    return bool(settings.PORTAL["ALLOW_LEGACY_CRYPTO"])
