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
        rotated = current = 0
        unreadable: list[int] = []
        secrets = AlertSettings.objects.exclude(webhook_secret="").values_list(
            "pk", "webhook_secret"
        )
        for pk, token in secrets.iterator():
            if crypto.is_current(token):
                current += 1
                continue
            try:
                fresh = crypto.rotate(token)
            except crypto.UnreadableKey:
                unreadable.append(pk)
                continue
            rotated += AlertSettings.objects.filter(pk=pk, webhook_secret=token).update(
                webhook_secret=fresh
            )
        self.stdout.write(f"{rotated} webhook secrets re-encrypted, {current} already current.")
        if unreadable:
            raise CommandError(
                f"Alert settings {unreadable} hold a secret no key reads: "
                "the tenant makes a new one."
            )
