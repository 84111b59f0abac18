"""Incidents from the connections' states: grouped, joined, recovered, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import detect
from alerts.choices import Channel, IncidentState, MessageKind
from alerts.models import Delivery, Incident
from tests.alerts.conftest import set_state
from vpn.choices import ConnectionState

pytestmark = pytest.mark.django_db
DOWN = ConnectionState.DISCONNECTED


def test_it_opens_no_incident_before_the_threshold(alert_settings, make_connection) -> None:
    now = timezone.now()
    make_connection(DOWN, now - timedelta(minutes=4))
    assert detect.scan(now).opened == []
    assert not Incident.objects.exists()


def test_it_opens_one_incident_for_a_router_restart_of_many_tunnels(
    alert_settings, make_connection
) -> None:
    now = timezone.now()
    dropped = [make_connection(DOWN, now - timedelta(minutes=6, seconds=n)) for n in range(15)]
    result = detect.scan(now)
    incident = Incident.objects.get()
    assert result.opened == [incident.pk]
    assert set(incident.connections.values_list("pk", flat=True)) == {c.pk for c in dropped}
    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.channel) == (MessageKind.DOWN, Channel.EMAIL)
    assert len(delivery.body["connections"]) == 15


def test_it_counts_error_as_down(alert_settings, make_connection) -> None:
    now = timezone.now()
    make_connection(ConnectionState.ERROR, now - timedelta(minutes=6))
    assert len(detect.scan(now).opened) == 1


def test_it_lets_a_later_drop_join_the_open_incident_without_a_message(
    alert_settings, make_connection
) -> None:
    now = timezone.now()
    make_connection(DOWN, now - timedelta(minutes=6))
    late = make_connection(ConnectionState.CONNECTED, now)
    detect.scan(now)
    set_state(late, DOWN, now)
    later = now + timedelta(minutes=6)
    result = detect.scan(later)
    assert result.joined == [late.pk]
    assert Incident.objects.get().connections.filter(pk=late.pk).exists()
    assert Delivery.objects.count() == 1


def test_it_sends_nothing_more_while_the_incident_stays_open(
    alert_settings, make_connection
) -> None:
    now = timezone.now()
    make_connection(DOWN, now - timedelta(minutes=6))
    detect.scan(now)
    detect.scan(now + timedelta(seconds=30))
    detect.scan(now + timedelta(minutes=30))
    assert Delivery.objects.count() == 1
    assert Incident.objects.count() == 1


def test_it_keeps_the_incident_open_while_one_connection_is_still_down(
    alert_settings, make_connection
) -> None:
    now = timezone.now()
    first = make_connection(DOWN, now - timedelta(minutes=6))
    make_connection(DOWN, now - timedelta(minutes=6))
    detect.scan(now)
    set_state(first, ConnectionState.CONNECTED, now)
    assert detect.scan(now + timedelta(seconds=30)).closed == []


def test_it_closes_the_incident_with_one_recovery_message(alert_settings, make_connection) -> None:
    now = timezone.now()
    dropped = [make_connection(DOWN, now - timedelta(minutes=6)) for _ in range(3)]
    detect.scan(now)
    for connection in dropped:
        set_state(connection, ConnectionState.CONNECTED, now)
    result = detect.scan(now + timedelta(seconds=30))
    incident = Incident.objects.get()
    assert result.closed == [incident.pk]
    assert incident.state == IncidentState.RECOVERED
    assert list(Delivery.objects.values_list("kind", flat=True).order_by("pk")) == [
        MessageKind.DOWN,
        MessageKind.RECOVERED,
    ]


def test_it_counts_a_deleted_connection_as_recovered(alert_settings, make_connection) -> None:
    now = timezone.now()
    connection = make_connection(DOWN, now - timedelta(minutes=6))
    detect.scan(now)
    connection.delete()
    assert len(detect.scan(now + timedelta(seconds=30)).closed) == 1
    body = Delivery.objects.get(kind=MessageKind.RECOVERED).body
    assert body["connections"][0]["state"] == "deleted"


def test_it_opens_a_new_incident_after_the_last_one_closed(alert_settings, make_connection) -> None:
    now = timezone.now()
    connection = make_connection(DOWN, now - timedelta(minutes=6))
    detect.scan(now)
    set_state(connection, ConnectionState.CONNECTED, now)
    detect.scan(now + timedelta(seconds=30))
    set_state(connection, DOWN, now + timedelta(minutes=1))
    detect.scan(now + timedelta(minutes=7))
    assert Incident.objects.count() == 2


def test_it_follows_the_accounts_own_threshold(alert_settings, make_connection) -> None:
    alert_settings.down_after_minutes = 60
    alert_settings.save()
    now = timezone.now()
    make_connection(DOWN, now - timedelta(minutes=30))
    assert detect.scan(now).opened == []


def test_it_ignores_accounts_without_settings(make_connection) -> None:
    now = timezone.now()
    make_connection(DOWN, now - timedelta(days=1))
    assert detect.scan(now).opened == []


def test_it_makes_a_message_per_enabled_channel(alert_settings, make_connection) -> None:
    alert_settings.webhook_enabled = True
    alert_settings.webhook_url = "https://hooks.example.net/s2s"
    alert_settings.save()
    now = timezone.now()
    make_connection(DOWN, now - timedelta(minutes=6))
    detect.scan(now)
    assert set(Delivery.objects.values_list("channel", flat=True)) == {
        Channel.EMAIL,
        Channel.WEBHOOK,
    }
