"""What the agent writes into a connection's timeline: state changes (through the signal's
receiver), configuration pushes, resets, router restarts, rekeys and traffic samples.

Unit tests: a fake VICI session stands in for charon (the lab test proves the whole).
"""

from contextlib import contextmanager

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from agent import converge
from tests.agent.test_converge_refusal import RefusingSession
from tests.agent.test_node import driver_calls  # noqa: F401 - the stubbed driver
from tests.vpn.conftest import make_cgw
from vpn.models import ConnectionEvent, TrafficSample, VpnConnection
from vpn.strongswan.sas import Observed


class QuietCharon(RefusingSession):
    """Answers like an empty charon that accepts everything."""

    def load_conn(self, message: dict) -> None:
        pass

    def initiate(self, message: dict) -> list:
        return []

    def terminate(self, message: dict) -> list:
        return []


@pytest.fixture
def charon(monkeypatch):  # type: ignore[no-untyped-def]
    @contextmanager
    def fake_open_session(uri: str, timeout: float = 5.0):  # type: ignore[no-untyped-def]
        yield QuietCharon()

    monkeypatch.setattr(converge, "open_session", fake_open_session)


@pytest.fixture
def connection(on_node, gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw, state="connected")


def _kinds(connection) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    events = ConnectionEvent.objects.filter(connection=connection).order_by("at", "id")
    return list(events.values_list("kind", "state", "reason"))


@pytest.mark.django_db
def test_it_records_a_drop_with_its_reason(connection) -> None:
    converge.record(connection.pk, Observed("disconnected", "Peer not responding."))
    assert _kinds(connection) == [("down", "disconnected", "Peer not responding.")]


@pytest.mark.django_db
def test_it_records_nothing_when_the_state_stays(connection) -> None:
    converge.record(connection.pk, Observed("connected", "Connected to 203.0.113.10."))
    assert _kinds(connection) == []


@pytest.mark.django_db
def test_it_records_a_configuration_push(on_node, connection, charon) -> None:
    converge.reconcile_router(on_node.pk)
    assert ("configured", "", "Configuration loaded into the router.") in _kinds(connection)


@pytest.mark.django_db
def test_it_records_a_reset(connection, charon) -> None:
    converge.reset_connection(connection.pk)
    assert _kinds(connection)[0] == ("reset", "connecting", "Reset: negotiating again.")
    connection.refresh_from_db()
    assert connection.state == "connecting"


@pytest.mark.django_db
def test_it_records_a_router_restart_for_each_connection_in_one_insert(
    node,
    on_node,
    connection,
    cgw,
    driver_calls,  # noqa: F811
) -> None:
    other = VpnConnection.objects.create(
        gateway=connection.gateway,
        customer_gateway=make_cgw(
            cgw.account, name="b", ip="203.0.113.99", cidrs="192.168.99.0/24"
        ),
    )
    with CaptureQueriesContext(db) as queries:
        node.supervise()
    inserts = [q for q in queries.captured_queries if "vpn_connectionevent" in q["sql"]]
    assert len(inserts) == 1
    for each in (connection, other):
        assert [k for k, _, _ in _kinds(each)] == ["router-restarted"]


@pytest.mark.django_db
def test_it_records_a_rekey_and_its_time(connection) -> None:
    up = Observed("connected", "Connected to 203.0.113.10.", ike_version=2, nat_t=False)
    converge.record(connection.pk, up, event="rekey")
    connection.refresh_from_db()
    assert connection.last_rekey is not None and connection.ike_version == 2
    assert [k for k, _, _ in _kinds(connection)] == ["rekey"]


@pytest.mark.django_db
def test_it_samples_counters_once_per_period_and_not_when_down_and_idle(
    connection, settings
) -> None:
    settings.PORTAL_HISTORY_SAMPLE_SECONDS = 60
    converge._sampled.clear()
    up = Observed("connected", "Connected.", bytes_in=10, bytes_out=20)
    converge._sample([(connection.pk, up)])
    converge._sample([(connection.pk, up)])  # within the period
    assert TrafficSample.objects.filter(connection=connection).count() == 1
    converge._sampled.clear()
    converge._sample([(connection.pk, Observed("disconnected", "Down."))])
    assert TrafficSample.objects.filter(connection=connection).count() == 1


@pytest.mark.django_db
def test_a_dead_charon_takes_its_tunnels_down_before_it_is_restarted(
    node,
    connection,
    driver_calls,  # noqa: F811
) -> None:
    """Supervision found charon dead, perhaps before any monitor followed it: its tunnels went
    with it, and the tenant reads so (in plain words) until the new charon's are up again."""
    seen_at_restart: list[str] = []
    restart = node.driver.ensure

    def ensure(router_id: int) -> bool:
        seen_at_restart.append(VpnConnection.objects.get(pk=connection.pk).state)
        return bool(restart(router_id))

    node.driver.ensure = ensure
    node.supervise(on_dead=converge.router_died)
    connection.refresh_from_db()
    assert seen_at_restart == ["error"]
    assert connection.state_reason == converge.ROUTER_DOWN
    assert [k for k, _, _ in _kinds(connection)] == ["error", "router-restarted"]
