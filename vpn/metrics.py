"""The operators' Prometheus metrics: a prometheus-client Collector over `platform_health()`,
computed at scrape time from the database, the broker and the nodes' heartbeats; nothing is
kept between scrapes, so nothing can drift from the database.

Served at /metrics to a scraper holding PORTAL_METRICS_TOKEN (vpn/views.py, `metrics`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from vpn.health import Health, platform_health

# What the node agents measure (agent/measure.py) and send with their heartbeat, by the name
# the heartbeat uses: (metric name, help).
NODE_HISTOGRAMS = {
    "reconcile_seconds": (
        "s2s_agent_reconcile_seconds",
        "Duration of the agent's reconcile tasks of a router, since the agent started.",
    ),
    "push_seconds": (
        "s2s_agent_push_seconds",
        "Duration of the agent's push tasks of a connection, since the agent started.",
    ),
    "task_latency_seconds": (
        "s2s_agent_task_latency_seconds",
        "Time from the portal's send of a task to its start on the node (first deliveries).",
    ),
    "event_lag_seconds": (
        "s2s_monitor_event_lag_seconds",
        "Time from reading a charon state event to the connection's state written.",
    ),
}


class PlatformCollector(Collector):
    """Every figure of `platform_health()` as metric families, counted at each collect."""

    def __init__(self, health: Health | None = None) -> None:
        self._health = health

    def collect(self) -> Iterator[Metric]:
        health = self._health or platform_health()
        yield from _connections(health)
        yield from _routers(health)
        yield from _nodes(health)
        yield from _queues(health)
        yield from _measurements(health)


# Collectors of the layers above this one (alert deliveries: alerts/metrics.py), registered by
# their apps' ready(): this layer cannot import them, and each scrape asks them all.
CONTRIBUTED: list[type[Collector]] = []


def contribute(collector: type[Collector]) -> None:
    """Serve `collector`'s families at /metrics too (idempotent)."""
    if collector not in CONTRIBUTED:
        CONTRIBUTED.append(collector)


def _connections(health: Health) -> Iterator[Metric]:
    by_state = GaugeMetricFamily("s2s_connections", "VPN connections by state.", labels=["state"])
    for state, count in health.connections.items():
        by_state.add_metric([state], count)
    yield by_state
    by_node = GaugeMetricFamily(
        "s2s_node_connections",
        'VPN connections by network node of their router (node="" when not placed) and state.',
        labels=["node", "state"],
    )
    for (node, state), count in sorted(health.node_connections.items()):
        by_node.add_metric([node, state], count)
    yield by_node
    yield GaugeMetricFamily(
        "s2s_connections_with_operator_detail",
        "VPN connections charon refused, with its words for operators (operator_detail).",
        value=health.with_operator_detail,
    )


def _routers(health: Health) -> Iterator[Metric]:
    by_state = GaugeMetricFamily("s2s_routers", "VPC routers by state.", labels=["state"])
    for state, count in health.router_states.items():
        by_state.add_metric([state], count)
    yield by_state
    by_node = GaugeMetricFamily(
        "s2s_node_routers",
        'VPC routers by network node (node="" when not placed) and state.',
        labels=["node", "state"],
    )
    for (node, state), count in sorted(health.node_routers.items()):
        by_node.add_metric([node, state], count)
    yield by_node
    labels = ["router", "node"]
    current = GaugeMetricFamily(
        "s2s_router_state", "1 for each router's current state.", labels=[*labels, "state"]
    )
    restarts = CounterMetricFamily(
        "s2s_router_charon_restarts",
        "Times the agent restarted the router's charon.",
        labels=labels,
    )
    reconciles = CounterMetricFamily(
        "s2s_router_reconciles", "Reconciles of the router completed by its agent.", labels=labels
    )
    seen = GaugeMetricFamily(
        "s2s_router_last_seen_timestamp_seconds",
        "When the router's charon last answered (Unix time).",
        labels=labels,
    )
    for router in health.routers:
        values = [str(router.pk), router.node]
        current.add_metric([*values, router.state], 1)
        restarts.add_metric(values, router.restarts)
        reconciles.add_metric(values, router.reconciles)
        if router.last_seen is not None:
            seen.add_metric(values, router.last_seen.timestamp())
    yield from (current, restarts, reconciles, seen)


def _nodes(health: Health) -> Iterator[Metric]:
    def gauge(name: str, text: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, text, labels=["node"])

    up = gauge("s2s_node_up", "1 when the node heartbeats within NETWORK_NODE_DOWN_AFTER.")
    age = gauge("s2s_node_heartbeat_age_seconds", "Seconds since the node's last heartbeat.")
    enabled = gauge("s2s_node_enabled", "1 when the node is enabled.")
    draining = gauge("s2s_node_draining", "1 when the node is draining.")
    capacity = gauge("s2s_node_capacity", "Routers the scheduler may place on the node.")
    running = gauge("s2s_node_running_routers", "Routers the agent reported running.")
    errored = gauge("s2s_node_last_error", "1 when the agent reported an error last.")
    for node in health.nodes:
        up.add_metric([node.name], int(node.alive))
        if node.heartbeat_age is not None:
            age.add_metric([node.name], node.heartbeat_age)
        enabled.add_metric([node.name], int(node.enabled))
        draining.add_metric([node.name], int(node.draining))
        capacity.add_metric([node.name], node.capacity)
        running.add_metric([node.name], node.running_routers)
        errored.add_metric([node.name], int(bool(node.last_error)))
    yield from (up, age, enabled, draining, capacity, running, errored)


def _queues(health: Health) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "s2s_broker_up",
        "1 when the broker answered this scrape.",
        value=int(health.queues is not None),
    )
    depth = GaugeMetricFamily(
        "s2s_queue_messages", "Messages waiting in each Celery queue.", labels=["queue"]
    )
    for queue, count in sorted((health.queues or {}).items()):
        depth.add_metric([queue], count)
    yield depth


def _measurements(health: Health) -> Iterator[Metric]:
    for key, (name, text) in NODE_HISTOGRAMS.items():
        family = HistogramMetricFamily(name, text, labels=["node"])
        for node in health.nodes:
            measured = histogram(node.measurements.get(key))
            if measured is not None:
                buckets = [(repr(bound), float(count)) for bound, count in measured.buckets]
                family.add_metric([node.name], [*buckets, ("+Inf", measured.count)], measured.sum)
        yield family


@dataclass(frozen=True)
class Histogram:
    buckets: list[tuple[float, int]]  # (upper bound, cumulative count), without +Inf
    count: int
    sum: float


def histogram(value: Any) -> Histogram | None:
    """A node's histogram (agent/measure.py's shape), or None when the row holds something
    else (a node writes its own row: trust it only this far)."""
    try:
        return Histogram(
            buckets=[(float(bound), int(count)) for bound, count in value["buckets"]],
            count=int(value["count"]),
            sum=float(value["sum"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def registry() -> CollectorRegistry:
    """A registry of its own per scrape (none of prometheus-client's process-wide defaults)."""
    fresh = CollectorRegistry(auto_describe=False)
    fresh.register(PlatformCollector())
    for collector in CONTRIBUTED:
        fresh.register(collector())
    return fresh
