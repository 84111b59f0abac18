"""Commands record as "command"; the retention is pruned by the portal's beat task."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from portal.choices import AuditAction, AuditVia
from portal.models import AuditEvent
from portal.tasks import prune_audit_events


@pytest.mark.django_db
def test_it_records_one_key_rotation_per_run_with_the_count(connection, settings) -> None:
    settings.PSK_ENCRYPTION_KEYS = ["a-new-key-for-the-rotation", *settings.PSK_ENCRYPTION_KEYS]
    call_command("rotate_psk_keys", stdout=StringIO())
    event = AuditEvent.objects.get(action="key-rotated")
    assert (event.via, event.actor, event.account) == ("command", None, None)
    assert event.detail == {"rotated": 1, "current": 0, "changed": 0, "unreadable": 0}


@pytest.mark.django_db
def test_it_records_a_token_made_on_the_command_line(alice) -> None:
    call_command("create_api_token", "alice", "--name", "backup", stdout=StringIO())
    event = AuditEvent.objects.get(action="token-created")
    assert (event.via, event.account, event.object_label) == (
        "command",
        alice.account,
        "API token backup",
    )


@pytest.mark.django_db
def test_it_prunes_the_events_past_the_retention(alice, settings) -> None:
    settings.PORTAL_AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    for age in (31, 29):
        AuditEvent.objects.create(
            account=alice.account,
            via=AuditVia.PORTAL,
            action=AuditAction.RESET,
            when=now - timedelta(days=age),
            object_label=f"{age} days old",
        )
    assert prune_audit_events() == 1
    left = AuditEvent.objects.filter(action="reset").values_list("object_label", flat=True)
    assert list(left) == ["29 days old"]
