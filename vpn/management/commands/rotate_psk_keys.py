"""Re-encrypt every customer gateway's pre-shared key under the first of PSK_ENCRYPTION_KEYS.

Rotation: put the new key first in PSK_ENCRYPTION_KEYS on the portal and on every network node,
restart them, run this command until it reports nothing left under an older key, then remove
the old key. Idempotent: a key already under the first key is left as it is. In batches, one
transaction each, so a large table is neither locked nor rewritten at once; a key a tenant
replaces meanwhile is already under the first key and is not overwritten. No key is ever
printed, and plaintexts never leave vpn.crypto.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import audit
from portal.choices import AuditAction, AuditVia
from vpn import crypto
from vpn.models import CustomerGateway


class Command(BaseCommand):
    help = "Re-encrypt every pre-shared key under the first of PSK_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="customer gateways per transaction (default 500)",
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        done = crypto.rotate_column(
            CustomerGateway.objects.all(), "psk_encrypted", batch_size=batch_size
        )
        with audit.acting(AuditVia.COMMAND):  # one event per run, with the counts (no key)
            audit.record(
                AuditAction.KEY_ROTATED,
                label="pre-shared keys",
                detail={
                    "rotated": done.rotated,
                    "current": done.current,
                    "changed": done.changed,
                    "unreadable": len(done.unreadable),
                },
            )
        self.stdout.write(
            f"Re-encrypted {done.rotated} pre-shared key(s) under the first key; "
            f"{done.current} already were; {done.changed} changed meanwhile (so already were)."
        )
        if done.unreadable:
            ids = ", ".join(map(str, done.unreadable))
            raise CommandError(
                f"{len(done.unreadable)} pre-shared key(s) could not be decrypted with any key of "
                f"PSK_ENCRYPTION_KEYS (customer gateways {ids}); keep every old key until "
                "they are readable again, or have their tenants enter them again."
            )
