"""A recorded change and its timeline event commit together (agent.record.record_many): whoever
reads the new state finds the event that explains it."""

from typing import Any

import pytest
from django.db import connection as db

from agent.record import record
from vpn import signals
from vpn.models import ConnectionEvent, VpnConnection
from vpn.strongswan.sas import Observed


@pytest.fixture
def connection(gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw, state="connected")


@pytest.mark.django_db(transaction=True)
def test_it_announces_the_change_inside_the_transaction_that_wrote_it(connection) -> None:
    inside: list[bool] = []

    def receiver(sender: Any, changes: Any, **_: Any) -> None:
        inside.append(db.in_atomic_block)

    signals.states_changed.connect(receiver)
    try:
        record(connection.pk, Observed("disconnected", "No IKE SA."), event="sweep")
    finally:
        signals.states_changed.disconnect(receiver)
    assert inside == [True]
    assert ConnectionEvent.objects.filter(connection=connection, kind="down").exists()
