"""Re-encrypt every webhook secret under the first of PSK_ENCRYPTION_KEYS (run it beside
`rotate_psk_keys` when rotating those keys, before the old key is removed). Idempotent; a secret
rotated by its tenant meanwhile is not overwritten; no secret is ever printed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alerts.models import AlertSettings
from vpn import crypto


class Command(BaseCommand):
    help = "Re-encrypt every alert webhook secret under the first of PSK_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        done = crypto.rotate_column(
            AlertSettings.objects.exclude(webhook_secret=""), "webhook_secret"
        )
        self.stdout.write(
            f"{done.rotated} webhook secrets re-encrypted, {done.current} already current."
        )
        if done.unreadable:
            raise CommandError(
                f"Alert settings {done.unreadable} hold a secret no key reads: "
                "the tenant makes a new one."
            )
