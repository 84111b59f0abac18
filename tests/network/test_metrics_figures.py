"""Acceptance 3: /metrics is scraped (parsed by Prometheus's own text parser) and its figures
match the database, for a world of several nodes, router states and connection states."""

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from kombu import Connection

from network.choices import RouterState
from network.models import NetworkNode, Router
from portal.celery import app
from tests.conftest import broker_key
from tests.network.metrics_world import TOKEN, World, scrape
from vpn import health
from vpn.choices import ConnectionState
from vpn.models import VpnConnection

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _token(settings):  # type: ignore[no-untyped-def]
    settings.PORTAL_METRICS_TOKEN = TOKEN


def _key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return (name, frozenset(labels.items()))


def test_it_counts_connections_by_state_as_the_database(client, world: World) -> None:
    samples = scrape(client)
    for state in ConnectionState.values:
        expected = VpnConnection.objects.filter(state=state).count()
        assert samples[_key("s2s_connections", state=state)] == expected
    assert samples[_key("s2s_connections", state="error")] == 3


def test_it_counts_connections_by_node_as_the_database(client, world: World) -> None:
    samples = scrape(client)
    by_node = {key: value for key, value in samples.items() if key[0] == "s2s_node_connections"}
    expected = {}
    for connection in VpnConnection.objects.select_related("gateway__vpc__router__node"):
        node = connection.gateway.vpc.router.node
        key = _key("s2s_node_connections", node=node.name if node else "", state=connection.state)
        expected[key] = expected.get(key, 0) + 1
    assert by_node == expected


def test_it_counts_connections_with_details_for_operators(client, world: World) -> None:
    samples = scrape(client)
    expected = VpnConnection.objects.exclude(operator_detail="").count()
    assert samples[_key("s2s_connections_with_operator_detail")] == expected == 2


def test_it_counts_routers_by_state_and_node_as_the_database(client, world: World) -> None:
    samples = scrape(client)
    for state in RouterState.values:
        expected = Router.objects.filter(state=state).count()
        assert samples[_key("s2s_routers", state=state)] == expected
    for router in Router.objects.select_related("node"):
        node = router.node.name if router.node else ""
        assert samples[_key("s2s_node_routers", node=node, state=router.state)] == 1
        labels = {"router": str(router.pk), "node": node}
        assert samples[_key("s2s_router_state", state=router.state, **labels)] == 1
        assert samples[_key("s2s_router_charon_restarts_total", **labels)] == router.restarts


def test_it_reports_each_node_as_the_database(client, world: World) -> None:
    samples = scrape(client)
    now = timezone.now()
    for node in NetworkNode.objects.all():

        def value(name: str, row: NetworkNode = node) -> float:
            return samples[_key(name, node=row.name)]

        assert value("s2s_node_up") == int(node.is_alive(now))
        assert value("s2s_node_enabled") == int(node.enabled)
        assert value("s2s_node_draining") == int(node.draining)
        assert value("s2s_node_capacity") == node.capacity
        assert value("s2s_node_running_routers") == len(node.running_routers)
        if node.last_heartbeat is None:
            assert _key("s2s_node_heartbeat_age_seconds", node=node.name) not in samples
        else:
            age = (now - node.last_heartbeat).total_seconds()
            assert age - 5 <= value("s2s_node_heartbeat_age_seconds") <= age
    assert [samples[_key("s2s_node_up", node=n)] for n in ("unit-a", "unit-b", "unit-c")] == [
        1,
        0,
        0,
    ]


def test_it_reports_the_messages_waiting_in_each_queue(client, world: World) -> None:
    node = world.nodes["unit-b"]
    for router_id in (1, 2):
        app.send_task("agent.reconcile_router", args=(router_id,), queue=node.queue)
    waiting = redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(broker_key(node.queue))
    try:
        samples = scrape(client)
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(node.queue)
    assert samples[_key("s2s_queue_messages", queue=node.queue)] == waiting == 2
    assert samples[_key("s2s_queue_messages", queue="node-unit-c")] == 0
    assert samples[_key("s2s_broker_up")] == 1


def test_it_exposes_what_a_node_measured_as_a_histogram(client, world: World) -> None:
    measured = {
        "reconcile_seconds": {"buckets": [[0.1, 1], [0.5, 3], [1.0, 3]], "count": 4, "sum": 3.5}
    }
    NetworkNode.objects.filter(name="unit-a").update(measurements=measured)
    samples = scrape(client)
    name = "s2s_agent_reconcile_seconds"
    buckets = {"0.1": 1, "0.5": 3, "1.0": 3, "+Inf": 4}
    for bound, count in buckets.items():
        assert samples[_key(f"{name}_bucket", node="unit-a", le=bound)] == count
    assert samples[_key(f"{name}_count", node="unit-a")] == 4
    assert samples[_key(f"{name}_sum", node="unit-a")] == 3.5
    assert _key(f"{name}_count", node="unit-b") not in samples


def test_it_leaves_out_a_measurement_it_cannot_read(client, world: World) -> None:
    NetworkNode.objects.filter(name="unit-a").update(
        measurements={"push_seconds": {"buckets": "nonsense"}, "event_lag_seconds": [1, 2]}
    )
    samples = scrape(client)
    assert not [key for key in samples if key[0].startswith("s2s_agent_push_seconds")]
    assert not [key for key in samples if key[0].startswith("s2s_monitor_event_lag")]


def test_it_says_when_the_broker_does_not_answer(client, world: World, monkeypatch) -> None:
    closed = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setattr(health.app, "connection_for_read", lambda: Connection(closed))
    samples = scrape(client)
    assert samples[_key("s2s_broker_up")] == 0
    assert not [key for key in samples if key[0] == "s2s_queue_messages"]
    assert samples[_key("s2s_connections", state="error")] == 3  # the rest is still counted
