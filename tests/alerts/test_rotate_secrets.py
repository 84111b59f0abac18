"""Webhook secrets follow a rotation of PSK_ENCRYPTION_KEYS."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from alerts.models import AlertSettings
from vpn import crypto

pytestmark = pytest.mark.django_db
OLD, NEW = "old-key-" + "o" * 40, "new-key-" + "n" * 40


def test_it_re_encrypts_a_webhook_secret_under_the_first_key(alert_settings, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PSK_ENCRYPTION_KEYS = [OLD]
    AlertSettings.objects.filter(pk=alert_settings.pk).update(
        webhook_secret=crypto.encrypt("the-secret")
    )
    settings.PSK_ENCRYPTION_KEYS = [NEW, OLD]
    call_command("rotate_alert_secrets")
    token = AlertSettings.objects.get(pk=alert_settings.pk).webhook_secret
    settings.PSK_ENCRYPTION_KEYS = [NEW]
    assert crypto.decrypt(token) == "the-secret"
