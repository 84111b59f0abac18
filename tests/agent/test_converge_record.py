"""How observations become connection states (agent.converge.record), against the database."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from agent import converge
from network.choices import RouterState
from vpn.models import VpnConnection
from vpn.strongswan.errors import RouterUnreachable
from vpn.strongswan.sas import Observed


@pytest.fixture
def connection(gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw, state="connected")


def _state(connection) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    connection.refresh_from_db()
    return connection.state, connection.state_reason


@pytest.mark.django_db
def test_it_records_a_change_with_its_time(connection) -> None:
    before = connection.state_changed
    assert converge.record(connection.pk, Observed("disconnected", "No IKE SA.", bytes_in=5))
    connection.refresh_from_db()
    assert (connection.state, connection.bytes_in) == ("disconnected", 5)
    assert connection.state_changed > before


@pytest.mark.django_db
def test_it_writes_nothing_when_an_idle_tunnel_looks_the_same(connection) -> None:
    up = Observed("connected", "Up.", bytes_in=7, established_seconds=30)
    converge.record(connection.pk, up)
    current = VpnConnection.objects.get(pk=connection.pk)
    with CaptureQueriesContext(db) as queries:
        converge.record(connection.pk, up, current=current)  # one sweep later: nothing new
    assert queries.captured_queries == []
    with CaptureQueriesContext(db) as queries:
        converge.record(connection.pk, Observed("connected", "Up.", bytes_in=9), current=current)
    # the row locked (in id order, as every history write locks it), then written
    statements = [
        q["sql"].split()[0] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]
    ]
    assert statements == ["SELECT", "UPDATE"]
    assert VpnConnection.objects.get(pk=connection.pk).bytes_in == 9


@pytest.mark.django_db
def test_it_keeps_an_error_while_the_tunnel_is_merely_down(connection) -> None:
    converge.record(connection.pk, Observed("error", "Authentication failed."))
    assert not converge.record(connection.pk, Observed("disconnected", "No IKE SA."))
    assert _state(connection) == ("error", "Authentication failed.")


@pytest.mark.django_db
@pytest.mark.parametrize("before", ["connected", "disconnected"])
def test_it_shows_a_renegotiation_as_down(connection, before) -> None:
    VpnConnection.objects.filter(pk=connection.pk).update(state=before)
    converge.record(connection.pk, Observed("connecting", "Negotiating."))
    state, reason = _state(connection)
    assert state == "disconnected" and "negotiating again" in reason


@pytest.mark.django_db
def test_it_shows_the_first_negotiation_as_connecting(connection) -> None:
    VpnConnection.objects.filter(pk=connection.pk).update(state="pending")
    converge.record(connection.pk, Observed("connecting", "Negotiating."))
    assert _state(connection)[0] == "connecting"


@pytest.mark.django_db
def test_it_keeps_a_first_negotiation_that_takes_a_while_connecting(connection) -> None:
    VpnConnection.objects.filter(pk=connection.pk).update(state="pending")
    converge.record(connection.pk, Observed("connecting", "Negotiating."))
    converge.record(connection.pk, Observed("connecting", "Negotiating."))  # the next sweep
    assert _state(connection) == ("connecting", "Negotiating.")


@pytest.mark.django_db
def test_it_does_not_overwrite_a_state_someone_else_changed(connection) -> None:
    stale = VpnConnection.objects.get(pk=connection.pk)
    VpnConnection.objects.filter(pk=connection.pk).update(state="pending")
    assert not converge.record(connection.pk, Observed("disconnected", "x"), current=stale)
    assert _state(connection)[0] == "pending"


@pytest.mark.django_db
def test_it_marks_connections_of_an_unreachable_router_and_recovers_them(connection) -> None:
    router = connection.gateway.vpc.router
    converge.mark_unreachable(router, RouterUnreachable("unix:///nowhere", "Connection refused"))
    router.refresh_from_db()
    assert router.state == RouterState.UNREACHABLE
    state, reason = _state(connection)
    assert (state, reason) == ("error", converge.ROUTER_DOWN)
    assert "nowhere" in router.state_reason  # the operator's detail stays on the router
    assert converge.mark_reachable(router)
    router.refresh_from_db()
    assert router.state == RouterState.RUNNING and router.last_seen is not None
    assert _state(connection)[0] == "pending"


@pytest.mark.django_db
def test_it_retries_a_reconcile_of_a_router_that_does_not_answer(connection, on_node) -> None:
    router = on_node  # held by the node, but no charon answers at its socket
    with pytest.raises(RouterUnreachable):
        converge.reconcile_router(router.pk)
    assert _state(connection)[0] == "error"
