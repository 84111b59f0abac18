"""Beat's pruning of connection history (vpn.tasks.prune_history)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vpn import history
from vpn.models import ConnectionEvent, TrafficSample, VpnConnection
from vpn.tasks import prune_history


@pytest.fixture
def connection(gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)


@pytest.mark.django_db
def test_it_deletes_what_is_older_than_the_retention_in_batches(
    connection, settings, monkeypatch
) -> None:
    settings.PORTAL_HISTORY_RETENTION_DAYS = 30
    monkeypatch.setattr(history, "PRUNE_BATCH", 2)
    now = timezone.now()
    for days in (31, 40, 50, 29, 1):
        ConnectionEvent.objects.create(
            connection=connection, kind="up", at=now - timedelta(days=days)
        )
        TrafficSample.objects.create(connection=connection, at=now - timedelta(days=days))
    assert prune_history() == 6
    for model in (ConnectionEvent, TrafficSample):
        kept = model.objects.filter(connection=connection).values_list("at", flat=True)
        assert sorted((now - at).days for at in kept) == [1, 29]


@pytest.mark.django_db
def test_it_is_scheduled_daily_by_beat(settings) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["prune-connection-history"]
    assert entry["task"] == prune_history.name == "vpn.prune_history"
    assert entry["options"]["expires"] < entry["schedule"]
