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
from django.db import transaction

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
        rotated = current = changed = 0
        unreadable: list[int] = []
        last = 0
        while True:
            with transaction.atomic():
                batch = list(
                    CustomerGateway.objects.filter(pk__gt=last)
                    .order_by("pk")
                    .values_list("pk", "psk_encrypted")[:batch_size]
                )
                if not batch:
                    break
                for pk, token in batch:
                    if crypto.is_current(token):
                        current += 1
                        continue
                    try:
                        fresh = crypto.rotate(token)
                    except crypto.UnreadableKey:
                        unreadable.append(pk)
                        continue
                    # Only if nobody replaced the key since it was read (a new one is current).
                    if CustomerGateway.objects.filter(pk=pk, psk_encrypted=token).update(
                        psk_encrypted=fresh
                    ):
                        rotated += 1
                    else:
                        changed += 1
            last = batch[-1][0]
        with audit.acting(AuditVia.COMMAND):  # one event per run, with the counts (no key)
            audit.record(
                AuditAction.KEY_ROTATED,
                label="pre-shared keys",
                detail={
                    "rotated": rotated,
                    "current": current,
                    "changed": changed,
                    "unreadable": len(unreadable),
                },
            )
        self.stdout.write(
            f"Re-encrypted {rotated} pre-shared key(s) under the first key; "
            f"{current} already were; {changed} changed meanwhile (so already were)."
        )
        if unreadable:
            ids = ", ".join(map(str, unreadable))
            raise CommandError(
                f"{len(unreadable)} pre-shared key(s) could not be decrypted with any key of "
                f"PSK_ENCRYPTION_KEYS (customer gateways {ids}); keep every old key until "
                "they are readable again, or have their tenants enter them again."
            )
