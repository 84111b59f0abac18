"""Alerts: an account's notification settings, its incidents (connections down longer than the
account's threshold, grouped) and the messages sent about them (the tenant's delivery log)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from alerts import webhook
from alerts.choices import Channel, DeliveryStatus, IncidentState, MessageKind
from portal.models import Account
from vpn.models import VpnConnection

MAX_EMAILS = 5
MIN_DOWN_MINUTES = 1
MAX_DOWN_MINUTES = 1440


class AlertSettings(models.Model):
    """Where an account's alerts go (emails and/or a signed webhook) and after how long."""

    tenant_path = "account"

    account = models.OneToOneField(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="alert_settings",
    )
    email_enabled = models.BooleanField(verbose_name=_("send emails"), default=False)
    emails = models.JSONField(
        verbose_name=_("email addresses"),
        default=list,
        blank=True,
        help_text=_("Up to 5 addresses."),
    )
    webhook_enabled = models.BooleanField(verbose_name=_("call the webhook"), default=False)
    webhook_url = models.CharField(
        verbose_name=_("webhook URL"),
        max_length=500,
        blank=True,
        help_text=_("An https:// URL on a public address; each POST is signed with the secret."),
    )
    webhook_secret = models.CharField(
        verbose_name=_("webhook secret (encrypted)"),
        max_length=500,
        blank=True,
        editable=False,
    )
    down_after_minutes = models.PositiveSmallIntegerField(
        verbose_name=_("down after (minutes)"),
        default=5,
        validators=[MinValueValidator(MIN_DOWN_MINUTES), MaxValueValidator(MAX_DOWN_MINUTES)],
        help_text=_("A connection down (Disconnected or Error) this long opens an incident."),
    )
    updated = models.DateTimeField(verbose_name=_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")
        ordering = ["account__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(down_after_minutes__gte=MIN_DOWN_MINUTES)
                & Q(down_after_minutes__lte=MAX_DOWN_MINUTES),
                name="alerts_down_after_minutes_range",
                violation_error_message=_("Down after is 1 to 1440 minutes."),
            ),
        ]

    def __str__(self) -> str:
        return f"Alerts of {self.account}"

    def get_absolute_url(self) -> str:
        return reverse("alerts:settings")

    def clean(self) -> None:
        """Every address valid (and no more than five), a channel switched on only with where
        to send, and a webhook URL only where a webhook may go (alerts/webhook.py)."""
        errors: dict[str, list[Any]] = {}
        if not isinstance(self.emails, list) or not all(isinstance(e, str) for e in self.emails):
            raise ValidationError({"emails": _("A list of email addresses.")})
        self.emails = [email.strip() for email in self.emails if email.strip()]
        if len(self.emails) > MAX_EMAILS:
            errors.setdefault("emails", []).append(_("At most 5 email addresses."))
        for email in self.emails:
            try:
                validate_email(email)
            except ValidationError:
                errors.setdefault("emails", []).append(
                    _("%(email)s is not a valid email address.") % {"email": email}
                )
        if self.email_enabled and not self.emails:
            errors.setdefault("emails", []).append(_("Enter an address to send emails to."))
        if self.webhook_url:
            try:
                webhook.check(self.webhook_url)
            except ValidationError as error:
                errors.setdefault("webhook_url", []).extend(error.messages)
        elif self.webhook_enabled:
            errors.setdefault("webhook_url", []).append(_("Enter the URL to call."))
        if errors:
            raise ValidationError(errors)


class Incident(models.Model):
    """Connections of one account down longer than its threshold: opened with the first ones
    found in one scan (a router restart is one incident), joined by those that go down while it
    is open, closed when all of them are Connected again (or gone)."""

    tenant_path = "account"

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="incidents",
    )
    state = models.CharField(
        verbose_name=_("state"),
        max_length=16,
        choices=IncidentState.choices,
        default=IncidentState.OPEN,
    )
    opened = models.DateTimeField(verbose_name=_("opened"))
    closed = models.DateTimeField(verbose_name=_("closed"), null=True, blank=True)
    connections = models.ManyToManyField(
        VpnConnection,
        verbose_name=_("connections"),
        through="IncidentConnection",
        related_name="incidents",
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(closed__isnull=True),
                name="alerts_one_open_incident_per_account",
                violation_error_message=_("An account has one open incident at a time."),
            ),
        ]

    def __str__(self) -> str:
        return f"Incident {self.pk} of {self.account}"

    def get_absolute_url(self) -> str:
        return reverse("alerts:deliveries")


class IncidentConnection(models.Model):
    """One connection in an incident; its name is kept should the connection be deleted."""

    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="members",
    )
    connection = models.ForeignKey(
        VpnConnection,
        verbose_name=_("connection"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="incident_memberships",
    )
    name = models.CharField(verbose_name=_("connection name"), max_length=200)
    down_since = models.DateTimeField(verbose_name=_("down since"))
    joined = models.DateTimeField(verbose_name=_("joined"))

    class Meta:
        verbose_name = _("connection in an incident")
        verbose_name_plural = _("connections in incidents")
        ordering = ["incident", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "connection"],
                name="alerts_connection_once_per_incident",
                violation_error_message=_("A connection is in an incident once."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} in incident {self.incident_id}"


class Delivery(models.Model):
    """One message on one channel (the tenant's delivery log): sent at once, tried again with
    backoff (alerts/sending.py) until sent or given up."""

    tenant_path = "account"

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="alert_deliveries",
    )
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="deliveries",
        null=True,
        blank=True,
        help_text=_("None for a test message."),
    )
    channel = models.CharField(verbose_name=_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=MessageKind.choices)
    target = models.CharField(
        verbose_name=_("sent to"),
        max_length=1500,
        help_text=_("The addresses or the URL as they were when the message was made."),
    )
    body = models.JSONField(verbose_name=_("body"))
    status = models.CharField(
        verbose_name=_("status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(verbose_name=_("attempts"), default=0)
    last_error = models.CharField(verbose_name=_("last error"), max_length=500, blank=True)
    next_try = models.DateTimeField(verbose_name=_("next try"), null=True, blank=True)
    sent_at = models.DateTimeField(verbose_name=_("sent at"), null=True, blank=True)
    created = models.DateTimeField(verbose_name=_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["account", "-created"], name="alerts_delivery_log"),
            models.Index(
                fields=["next_try"],
                condition=Q(status="pending"),
                name="alerts_delivery_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "channel", "kind"],
                condition=Q(incident__isnull=False),
                name="alerts_one_message_per_incident_channel_kind",
                violation_error_message=_("One message per incident, channel and kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.get_channel_display()} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("alerts:deliveries")
