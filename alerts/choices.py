"""Choices of the alerts app: an incident's progress, a delivery's channel, kind and status."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentState(models.TextChoices):
    OPEN = "open", _("Open (not yet notified)")
    NOTIFIED = "notified", _("Notified")
    RECOVERED = "recovered", _("Recovered")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")


class MessageKind(models.TextChoices):
    DOWN = "down", _("Down")
    RECOVERED = "recovered", _("Recovered")
    TEST = "test", _("Test")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
