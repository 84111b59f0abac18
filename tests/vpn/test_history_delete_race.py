"""A tenant deletes a connection while an agent writes its history (vpn.history.lock_alive and
vpn.actions.delete_connection): whichever goes first, the delete succeeds and leaves no row
naming the connection, and the agent's write neither fails nor writes for a connection that has
gone. Two real PostgreSQL sessions, one per thread; the first holds its transaction open until
the second is seen waiting on its lock (pg_stat_activity), so the interleaving is the race's,
not a matter of timing."""

from __future__ import annotations

import pytest

from tests.locks import interleave
from vpn import actions, history
from vpn.choices import EventKind
from vpn.models import ConnectionEvent, TrafficSample, VpnConnection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connection(gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)


def _agent_writes(connection_id: int) -> None:
    history.record_event(connection_id, EventKind.UP, state="connected", reason="up")
    history.record_events([connection_id], EventKind.CONFIGURED, reason="pushed")
    history.record_sample(connection_id, bytes_in=1, bytes_out=2, packets_in=3, packets_out=4)


def test_a_delete_during_the_agents_write_waits_and_takes_its_rows(connection) -> None:
    errors = interleave(
        lambda: _agent_writes(connection.pk),
        lambda: actions.delete_connection(VpnConnection.objects.get(pk=connection.pk)),
    )
    assert errors == []
    assert not VpnConnection.objects.filter(pk=connection.pk).exists()
    assert not ConnectionEvent.objects.filter(connection_id=connection.pk).exists()
    assert not TrafficSample.objects.filter(connection_id=connection.pk).exists()


def test_a_write_during_the_delete_waits_and_writes_nothing(connection) -> None:
    errors = interleave(
        lambda: actions.delete_connection(VpnConnection.objects.get(pk=connection.pk)),
        lambda: _agent_writes(connection.pk),
    )
    assert errors == []
    assert not VpnConnection.objects.filter(pk=connection.pk).exists()
    assert not ConnectionEvent.objects.filter(connection_id=connection.pk).exists()
    assert not TrafficSample.objects.filter(connection_id=connection.pk).exists()


def test_a_routers_restart_event_during_the_delete_skips_the_connection(connection) -> None:
    router_id = connection.gateway.vpc.router.pk
    written: list[int] = []
    errors = interleave(
        lambda: actions.delete_connection(VpnConnection.objects.get(pk=connection.pk)),
        lambda: written.append(
            history.record_router_event(router_id, EventKind.ROUTER_RESTARTED, "restarted")
        ),
    )
    assert errors == []
    assert written == [0]
    assert not ConnectionEvent.objects.filter(connection_id=connection.pk).exists()


def test_a_second_delete_of_the_same_connection_is_a_no_op(connection) -> None:
    stale = VpnConnection.objects.get(pk=connection.pk)
    actions.delete_connection(connection)
    actions.delete_connection(stale)
    assert not VpnConnection.objects.filter(pk=connection.pk).exists()


def test_a_bulk_delete_during_the_agents_write_waits_and_takes_its_rows(connection) -> None:
    """QuerySet.delete (the admin's bulk delete, tests' and bench's clean-ups) locks as well."""
    errors = interleave(
        lambda: _agent_writes(connection.pk),
        lambda: VpnConnection.objects.filter(pk=connection.pk).delete(),
    )
    assert errors == []
    assert not VpnConnection.objects.filter(pk=connection.pk).exists()
    assert not ConnectionEvent.objects.filter(connection_id=connection.pk).exists()
