"""A tenant deletes a connection while the agent records a batch of states (agent.record):
whichever goes first, the delete succeeds and leaves no event naming the connection, and the
batch neither fails nor writes for a connection that has gone (as every history write,
tests/vpn/test_history_delete_race.py)."""

import pytest

from agent.record import Seen, record_many
from tests.locks import interleave
from vpn import actions
from vpn.models import ConnectionEvent, VpnConnection
from vpn.strongswan.sas import Observed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connection(gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw, state="connected")


def _down(connection: VpnConnection) -> None:
    record_many([Seen(connection, Observed("disconnected", "No IKE SA."))])


def test_a_delete_during_the_batch_waits_and_takes_its_event(connection) -> None:
    errors = interleave(
        lambda: _down(connection),
        lambda: actions.delete_connection(VpnConnection.objects.get(pk=connection.pk)),
    )
    assert errors == []
    assert not VpnConnection.objects.filter(pk=connection.pk).exists()
    assert not ConnectionEvent.objects.filter(connection_id=connection.pk).exists()


def test_a_batch_during_the_delete_waits_and_writes_nothing(connection) -> None:
    stale = VpnConnection.objects.get(pk=connection.pk)
    errors = interleave(
        lambda: actions.delete_connection(VpnConnection.objects.get(pk=connection.pk)),
        lambda: _down(stale),
    )
    assert errors == []
    assert not ConnectionEvent.objects.filter(connection_id=connection.pk).exists()
