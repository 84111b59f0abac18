"""The monitor's look at charon is written even when a sweep or a reconcile changed the row
between the monitor's read and its write (agent.record.record_many, again_if_moved): the
monitor looked after the event, so what it saw is newer than the snapshot written meanwhile.
Other writers keep the rule that a state someone else changed meanwhile wins."""

import pytest

from agent.record import MONITOR_LOOKS, Seen, record_many
from vpn.models import VpnConnection
from vpn.strongswan.sas import Observed

pytestmark = pytest.mark.django_db

UP = Observed("connected", "Connected to 203.0.113.10.")


@pytest.fixture
def read_pending(gateway, cgw):  # type: ignore[no-untyped-def]
    """The row as the monitor read it (Pending), after which a reconcile's list-sas, taken while
    the IKE SA was still negotiating, recorded it Connecting."""
    row = VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw, state="pending")
    VpnConnection.objects.filter(pk=row.pk).update(state="connecting")
    return row


def _state(row: VpnConnection) -> str:
    return VpnConnection.objects.get(pk=row.pk).state


def test_the_monitors_look_is_decided_again_from_the_row_as_it_is_now(read_pending) -> None:
    changed = record_many([Seen(read_pending, UP, "event-up")], again_if_moved=MONITOR_LOOKS)
    assert changed == {read_pending.pk}
    assert _state(read_pending) == "connected"


def test_a_sweeps_snapshot_loses_to_the_write_made_meanwhile(read_pending) -> None:
    assert record_many([Seen(read_pending, UP, "sweep")], again_if_moved=MONITOR_LOOKS) == set()
    assert _state(read_pending) == "connecting"


def test_without_the_option_every_observation_loses(read_pending) -> None:
    assert record_many([Seen(read_pending, UP, "event-up")]) == set()
    assert _state(read_pending) == "connecting"


def test_a_failure_from_the_log_is_not_weighed_again(read_pending) -> None:
    # The monitor weighed the failure against the row as it read it (e.g. whether another IKE
    # SA of the connection is up): it is not re-applied to a row that has moved.
    failure = Observed("error", "The device refused our authentication.")
    seen = [Seen(read_pending, failure, "log-failure")]
    assert record_many(seen, again_if_moved=MONITOR_LOOKS) == set()
    assert _state(read_pending) == "connecting"
