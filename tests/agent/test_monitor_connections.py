"""The monitor's writer holds a PostgreSQL connection only while it reads or writes rows: not
while it asks charon (list-sas, the confirmation pause), nor between batches. With the pool
(CONN_MAX_AGE 0) a connection closed goes back to it, so a node's routers share a few.

Transactional tests: the writer closes its thread's connection, as a thread of its own must."""

import pytest
from django.db import connection as db

from vpn.models import VpnConnection
from vpn.strongswan.sas import IkeSa


@pytest.fixture
def connection(on_node, gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw, state="connected")


@pytest.mark.django_db(transaction=True)
def test_it_asks_charon_without_holding_a_database_connection(
    connection, watch, monkeypatch
) -> None:
    monkeypatch.setitem(db.settings_dict, "CONN_MAX_AGE", 0)  # as with the pool
    db.close()
    held: list[bool] = []

    def list_sas(name: str) -> list[IkeSa]:
        held.append(db.connection is not None)
        return []

    monkeypatch.setattr(watch, "_sas", list_sas)
    name = f"vpn-{connection.pk}"
    watch._on_state_event(b"ike-updown", {name: {"uniqueid": b"2", "state": b"DELETING"}})
    watch.flush()
    assert held == [False, False]  # the look and its confirmation
    assert db.connection is None  # given back after the batch
    connection.refresh_from_db()
    assert connection.state == "disconnected"


@pytest.mark.django_db(transaction=True)
def test_it_forgets_the_ike_sas_of_the_charon_it_followed_before(
    connection, watch, monkeypatch
) -> None:
    """IKE SA 3 was a duplicate before charon restarted; the new charon's IKE SA 3 is not."""
    name = f"vpn-{connection.pk}"
    watch._on_log({"ikesa-uniqueid": b"3", "ikesa-name": name.encode(), "msg": b"initiating"})
    watch._on_state_event(
        b"ike-updown", {"up": b"yes", name: {"uniqueid": b"2", "state": b"ESTABLISHED"}}
    )
    watch.flush()
    watch._start_over()  # what following a (restarted) charon again begins with
    failure = b"received NO_PROPOSAL_CHOSEN notify error"
    watch._on_log({"ikesa-uniqueid": b"3", "ikesa-name": name.encode(), "msg": failure})
    watch.flush()
    connection.refresh_from_db()
    assert connection.state == "error"
