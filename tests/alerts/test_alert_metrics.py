"""/metrics counts the alert delivery log and the open incidents as the database holds them."""

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from alerts.choices import Channel, DeliveryStatus, IncidentState, MessageKind
from alerts.models import Delivery, Incident
from tests.network.metrics_world import TOKEN

pytestmark = pytest.mark.django_db


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:  # type: ignore[no-untyped-def]
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def delivery(account, channel: str, kind: str, status: str) -> Delivery:  # type: ignore[no-untyped-def]
    return Delivery.objects.create(
        account=account,
        channel=channel,
        kind=kind,
        target="ops@example.com" if channel == Channel.EMAIL else "https://hooks.example/x",
        body={},
        status=status,
        next_try=timezone.now(),
    )


def test_it_counts_deliveries_by_channel_kind_and_status(alice, charlie, client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_METRICS_TOKEN = TOKEN
    delivery(alice.account, Channel.EMAIL, MessageKind.DOWN, DeliveryStatus.SENT)
    delivery(charlie.account, Channel.EMAIL, MessageKind.DOWN, DeliveryStatus.SENT)
    delivery(alice.account, Channel.WEBHOOK, MessageKind.RECOVERED, DeliveryStatus.FAILED)
    figures = scrape(client)

    def count(channel: str, kind: str, status: str) -> float:
        labels = (("channel", channel), ("kind", kind), ("status", status))
        return figures[("s2s_alert_deliveries", labels)]

    assert count("email", "down", "sent") == 2
    assert count("webhook", "recovered", "failed") == 1
    assert count("webhook", "down", "pending") == 0


def test_it_counts_incidents_not_yet_recovered(alice, charlie, client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_METRICS_TOKEN = TOKEN
    now = timezone.now()
    Incident.objects.create(account=alice.account, state=IncidentState.NOTIFIED, opened=now)
    Incident.objects.create(account=charlie.account, state=IncidentState.RECOVERED, opened=now)
    assert scrape(client)[("s2s_alert_incidents_open", ())] == 1
