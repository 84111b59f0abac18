"""Alert deliveries at /metrics (vpn/metrics.py serves them): the delivery log counted by
channel, kind and status at scrape time, and the incidents still open."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from alerts.choices import Channel, DeliveryStatus, IncidentState, MessageKind
from alerts.models import Delivery, Incident


class AlertCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        deliveries = GaugeMetricFamily(
            "s2s_alert_deliveries",
            "Alert messages in the delivery log, by channel, kind and "
            "status (pending: not yet sent or waiting for a retry; failed: given up).",
            labels=["channel", "kind", "status"],
        )
        counted = {
            (row["channel"], row["kind"], row["status"]): row["n"]
            for row in Delivery.objects.values("channel", "kind", "status").annotate(n=Count("id"))
        }
        for channel in Channel.values:
            for kind in MessageKind.values:
                for status in DeliveryStatus.values:
                    deliveries.add_metric(
                        [channel, kind, status], counted.get((channel, kind, status), 0)
                    )
        yield deliveries
        incidents = GaugeMetricFamily(
            "s2s_alert_incidents_open",
            "Incidents not yet recovered (open or notified), over every account.",
        )
        incidents.add_metric([], Incident.objects.exclude(state=IncidentState.RECOVERED).count())
        yield incidents
