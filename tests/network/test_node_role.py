"""What a network node's own database role can see and change (PostgreSQL, real roles)."""

import io

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from network.management.commands.network_node_role import role_name
from network.models import NetworkNode, Router
from vpn.actions import create_connection
from vpn.models import ConnectionEvent, CustomerGateway, TrafficSample, VpnConnection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="node roles are PostgreSQL roles"
)
PASSWORD = "pw-test-unit-role"


@pytest.fixture
def node_db(transactional_db, alice, charlie, pool):  # type: ignore[no-untyped-def]
    """Two nodes with a VPC and a connection each; a session as node a's own role."""
    from tests.network.test_scheduler import _vpc
    from tests.vpn.conftest import make_cgw
    from vpn.actions import create_gateway

    a = NetworkNode.objects.create(name="role-a", last_heartbeat=timezone.now())
    mine = _vpc(alice.account, 1)
    b = NetworkNode.objects.create(name="role-b", last_heartbeat=timezone.now())
    NetworkNode.objects.filter(pk=a.pk).update(capacity=1)
    theirs = _vpc(charlie.account, 2)
    assert Router.objects.get(vpc=mine).node == a and Router.objects.get(vpc=theirs).node == b
    for vpc, user, ip in ((mine, alice, "203.0.113.10"), (theirs, charlie, "203.0.113.20")):
        create_connection(create_gateway(vpc)[0], make_cgw(user.account, ip=ip), passive=False)
    call_command("network_node_role", "role-a", password=PASSWORD, stdout=io.StringIO())
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        dbname=db["NAME"],
        user=role_name("role-a"),
        password=PASSWORD,
        autocommit=True,
    ) as session:
        yield session, mine, theirs


def _rows(session, query: str, *params: object) -> list[tuple]:  # type: ignore[no-untyped-def]
    return session.execute(query, params).fetchall()


def test_it_reads_only_the_customer_gateways_of_its_own_routers(node_db) -> None:
    session, mine, _ = node_db
    visible = {row[0] for row in _rows(session, "SELECT id FROM vpn_customergateway")}
    expected = set(
        CustomerGateway.objects.filter(connections__gateway__vpc=mine).values_list("id", flat=True)
    )
    assert visible == expected and len(visible) == 1


def test_it_writes_only_its_own_routers_and_connections(node_db) -> None:
    session, mine, theirs = node_db
    session.execute("UPDATE network_router SET state = 'failed'")
    session.execute("UPDATE vpn_vpnconnection SET state = 'error'")
    assert Router.objects.get(vpc=mine).state == "failed"
    assert Router.objects.get(vpc=theirs).state != "failed"
    assert VpnConnection.objects.get(gateway__vpc=mine).state == "error"
    assert VpnConnection.objects.get(gateway__vpc=theirs).state == "pending"


def test_it_cannot_move_a_router_or_touch_what_tenants_set(node_db) -> None:
    session, _, _ = node_db
    for statement in (
        "UPDATE network_router SET node_id = NULL",
        "UPDATE network_router SET generation = 99",
        "UPDATE vpn_customergateway SET name = 'x'",
        "UPDATE vpn_vpnconnection SET passive = true",
        "DELETE FROM vpn_vpnconnection",
        "SELECT * FROM portal_user",
        "SELECT * FROM django_session",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            session.execute(statement)


def test_it_registers_and_heartbeats_only_itself(node_db) -> None:
    session, _, _ = node_db
    session.execute("UPDATE network_networknode SET last_error = 'x'")
    assert set(NetworkNode.objects.filter(last_error="x").values_list("name", flat=True)) == {
        "role-a"
    }
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        session.execute(
            "INSERT INTO network_networknode (name, enabled, draining, capacity, version, "
            "datapath, running_routers, last_error, registered) "
            "VALUES ('role-z', true, false, 1, '', '', '[]', '', now())"
        )


def _insert_event(session, connection_id: int) -> None:  # type: ignore[no-untyped-def]
    session.execute(
        "INSERT INTO vpn_connectionevent (connection_id, at, kind, state, reason) "
        "VALUES (%s, now(), 'down', 'disconnected', 'x') RETURNING id",
        (connection_id,),
    )


def test_it_adds_history_only_for_its_own_routers_connections(node_db) -> None:
    session, mine, theirs = node_db
    own = VpnConnection.objects.get(gateway__vpc=mine)
    other = VpnConnection.objects.get(gateway__vpc=theirs)
    _insert_event(session, own.pk)
    session.execute(
        "INSERT INTO vpn_trafficsample (connection_id, at, bytes_in, bytes_out, packets_in, "
        "packets_out) VALUES (%s, now(), 1, 2, 3, 4)",
        (own.pk,),
    )
    assert ConnectionEvent.objects.filter(connection=own, kind="down").count() == 1
    assert TrafficSample.objects.filter(connection=own).count() == 1
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # row-level security
        _insert_event(session, other.pk)
    assert not ConnectionEvent.objects.filter(connection=other, kind="down").exists()


def test_it_reads_no_other_history_and_changes_none(node_db) -> None:
    session, mine, theirs = node_db
    other = VpnConnection.objects.get(gateway__vpc=theirs)
    ConnectionEvent.objects.create(connection=other, kind="up", state="connected")
    visible = {row[0] for row in _rows(session, "SELECT id FROM vpn_connectionevent")}
    own = ConnectionEvent.objects.filter(connection__gateway__vpc=mine)
    assert visible == set(own.values_list("id", flat=True)) and len(visible) == 1
    for statement in (
        "UPDATE vpn_connectionevent SET reason = 'x'",
        "DELETE FROM vpn_connectionevent",
        "DELETE FROM vpn_trafficsample",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            session.execute(statement)


def test_it_records_the_history_columns_of_its_own_connections(node_db) -> None:
    session, mine, _ = node_db
    session.execute(
        "UPDATE vpn_vpnconnection SET ike_version = 2, nat_t = true, local_ts = '10.1.0.0/16', "
        "remote_ts = '192.168.10.0/24', last_rekey = now()"
    )
    own = VpnConnection.objects.get(gateway__vpc=mine)
    assert (own.ike_version, own.nat_t, own.local_ts) == (2, True, "10.1.0.0/16")


def test_it_can_lock_its_own_connections_before_writing_their_history(node_db) -> None:
    """vpn.history.lock_alive, as the agent runs it: its own connection is locked and returned,
    another node's is not visible to lock."""
    session, mine, theirs = node_db
    own = VpnConnection.objects.get(gateway__vpc=mine)
    other = VpnConnection.objects.get(gateway__vpc=theirs)
    with session.transaction():
        locked = _rows(
            session,
            "SELECT id FROM vpn_vpnconnection WHERE id = ANY(%s) ORDER BY id "
            "FOR NO KEY UPDATE OF vpn_vpnconnection",
            [own.pk, other.pk],
        )
    assert locked == [(own.pk,)]


def test_it_cannot_read_the_rows_of_the_overlap_index(node_db) -> None:
    """The customer gateways' networks as rows (vpn 0008) serve the portal's rules only; a node
    renders `cidr_list`, so its role has no grant there."""
    session, _, _ = node_db
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        session.execute("SELECT network FROM vpn_customergatewaynetwork")


def test_it_can_write_its_own_routers_restart_event(node_db) -> None:
    """vpn.history.record_router_event's own statement (it locks the connections), replayed as
    the node's role: allowed for its own router (a lock on the joined gateways or VPCs would be
    refused)."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from vpn import history

    session, mine, _ = node_db
    router = Router.objects.get(vpc=mine)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        history.record_router_event(router.pk, "router-restarted", "restarted")
        transaction.set_rollback(True)
    [insert] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    with session.transaction():
        written = session.execute(insert).rowcount
    assert written == 1
