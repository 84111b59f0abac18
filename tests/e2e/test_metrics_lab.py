"""Lab: once a connection is up, /metrics carries what the real node agents measured while
bringing it up (push, reconcile, the task's wait in the queue, the monitor's event lag), with
plausible values, and counts the connection as Connected on its router's node."""

import pytest

from network.models import Router
from tests.e2e.helpers import add_connection, customer, lab_vpc, portal_client, wait_state
from tests.network.metrics_world import TOKEN, Samples, scrape
from tests.stack import wait_for

pytestmark = [pytest.mark.lab]

SERIES = (
    "s2s_agent_push_seconds",
    "s2s_agent_reconcile_seconds",
    "s2s_agent_task_latency_seconds",
    "s2s_monitor_event_lag_seconds",
)


def test_it_scrapes_what_the_agents_measured(lab, stack, alice, pool, client, settings) -> None:
    settings.PORTAL_METRICS_TOKEN = TOKEN
    vpc = lab_vpc(alice)
    connection = add_connection(portal_client(alice), vpc, customer(alice))
    wait_state(connection, "connected")
    node = Router.objects.select_related("node").get(vpc=vpc).node
    assert node is not None

    def counted(samples: Samples, series: str) -> float:
        return samples.get((f"{series}_count", frozenset({("node", node.name)})), 0)

    samples: Samples = {}

    def measured() -> bool:
        nonlocal samples
        samples = scrape(client)
        return all(counted(samples, series) > 0 for series in SERIES)

    wait_for(measured, timeout=30, every=0.5, what=lambda: f"all of {SERIES} on {node.name}")
    for series in SERIES:
        count = counted(samples, series)
        mean = samples[(f"{series}_sum", frozenset({("node", node.name)}))] / count
        inf = samples[(f"{series}_bucket", frozenset({("node", node.name), ("le", "+Inf")}))]
        assert inf == count
        assert 0 < mean < 10, f"{series}: mean {mean:.3f} s over {count:.0f}"
        print(f"\n{series} on {node.name}: {count:.0f} observed, mean {mean * 1000:.1f} ms")
    connected = samples[
        ("s2s_node_connections", frozenset({("node", node.name), ("state", "connected")}))
    ]
    assert connected >= 1
