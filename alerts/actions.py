"""The alerts' side effects: saving an account's settings, its webhook secret, a test message."""

from __future__ import annotations

import secrets
from functools import partial

from django.db import transaction
from django.utils import timezone

from alerts import messages
from alerts.choices import Channel, MessageKind
from alerts.models import AlertSettings, Delivery
from alerts.tasks import enqueue
from portal.models import Account
from vpn import crypto

SECRET_BYTES = 32


def settings_of(account: Account) -> AlertSettings:
    """The account's settings (unsaved defaults when it has none yet)."""
    found = AlertSettings.objects.filter(account=account).first()
    return found or AlertSettings(account=account)


def save_settings(alert_settings: AlertSettings) -> str:
    """Validate and save; returns a new webhook secret's plaintext when one was made (the
    first time a webhook URL is saved), "" otherwise: it is shown once, never again."""
    alert_settings.full_clean()
    plaintext = ""
    if alert_settings.webhook_url and not alert_settings.webhook_secret:
        plaintext = secrets.token_urlsafe(SECRET_BYTES)
        alert_settings.webhook_secret = crypto.encrypt(plaintext)
    alert_settings.save()
    return plaintext


def rotate_secret(alert_settings: AlertSettings) -> str:
    """A new webhook secret (its plaintext, to show once); the old one stops signing at once."""
    plaintext = secrets.token_urlsafe(SECRET_BYTES)
    AlertSettings.objects.filter(pk=alert_settings.pk).update(
        webhook_secret=crypto.encrypt(plaintext)
    )
    return plaintext


def send_test(alert_settings: AlertSettings) -> list[Delivery]:
    """One test message on each enabled channel, sent by the worker (it shows in the log)."""
    body = messages.test_body(alert_settings.account)
    now = timezone.now()
    targets = []
    if alert_settings.email_enabled and alert_settings.emails:
        targets.append((Channel.EMAIL, ", ".join(alert_settings.emails)))
    if alert_settings.webhook_enabled and alert_settings.webhook_url:
        targets.append((Channel.WEBHOOK, alert_settings.webhook_url))
    with transaction.atomic():
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                account=alert_settings.account,
                channel=channel,
                kind=MessageKind.TEST,
                target=target,
                body=body,
                next_try=now,
            )
            for channel, target in targets
        )
        for delivery in deliveries:
            transaction.on_commit(partial(enqueue, delivery.pk))
    return deliveries
