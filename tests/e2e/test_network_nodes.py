"""Acceptance: routers on two network nodes, each node's agent a separate process; placement,
isolation between nodes, supervision, agent crashes, node loss with failover, and moves."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from network.actions import add_tier
from network.models import NetworkNode, Router, Vpc
from portal.models import User
from tests.e2e.helpers import (
    add_connection,
    customer,
    lab_vpc,
    portal_client,
    router_host,
    router_sas,
    wait_state,
)
from tests.stack import NODES, Stack, wait_for
from tests.vpn.test_portal_bad_input import GOOD
from vpn.models import VpnConnection
from vpn.strongswan.errors import RouterUnreachable
from vpn.strongswan.sas import parse_sas
from vpn.strongswan.session import open_session

pytestmark = [pytest.mark.lab]


def charon_conns(stack: Stack) -> dict[str, dict[int, set[str]]]:
    """What every charon on every node holds: node → router id → its conn names."""
    found: dict[str, dict[int, set[str]]] = {}
    for node in NODES:
        host = stack.host_of(node)
        found[node] = {}
        for name in host.names():
            with open_session(host.vici_uri(name)) as session:
                conns = {
                    str(c, "utf-8") if isinstance(c, bytes) else c
                    for c in session.get_conns()["conns"]
                }
            found[node][int(name[1:])] = conns
    return found


def wanted_conns() -> dict[str, dict[int, set[str]]]:
    """What the database places where: node → router id → the conn names of its VPC."""
    wanted: dict[str, dict[int, set[str]]] = {node: {} for node in NODES}
    for router in Router.objects.select_related("node"):
        assert router.node is not None
        wanted[router.node.name][router.pk] = {
            f"vpn-{c.pk}" for c in VpnConnection.objects.filter(gateway__vpc__router=router)
        }
    return wanted


def converged(stack: Stack) -> bool:
    return charon_conns(stack) == wanted_conns()


def wait_converged(stack: Stack, timeout: float = 30) -> None:
    wait_for(
        lambda: converged(stack),
        timeout=timeout,
        what=lambda: (
            f"every charon to hold its node's connections: {charon_conns(stack)} "
            f"vs {wanted_conns()}"
        ),
    )


def sa_ids(vpc: Vpc) -> set[tuple[int, ...]]:
    return {(sa.uniqueid, *(c.uniqueid for c in sa.children)) for sa in router_sas(vpc)}


def node_of(vpc: Vpc) -> str:
    return Router.objects.select_related("node").get(vpc=vpc).node.name  # type: ignore[union-attr]


def two_tenants(alice: User, charlie: User) -> tuple[Vpc, Vpc]:
    """One VPC per tenant: least loaded first puts them on different nodes."""
    first = lab_vpc(alice, name="alpha", cidr="10.1.0.0/16")
    second = lab_vpc(charlie, name="beta", cidr="10.2.0.0/16")
    assert {node_of(first), node_of(second)} == set(NODES)
    return first, second


def test_it_keeps_each_nodes_charons_to_their_own_routers(lab, alice, charlie, pool) -> None:
    sizes = lab.log_sizes()
    alpha, beta = two_tenants(alice, charlie)
    a_client, c_client = portal_client(alice), portal_client(charlie)
    hq = customer(alice, name="hq", ip="203.0.113.10", cidrs="192.168.10.0/24")
    other = customer(charlie, name="other", ip="203.0.113.30", cidrs="192.168.30.0/24")
    a_conn = add_connection(a_client, alpha, hq)
    add_connection(c_client, beta, other)
    wait_converged(lab)

    add_tier(vpc=alpha, name="db", cidr="10.1.2.0/24")  # a tier change rebuilds alpha's router
    second = customer(
        charlie, name="second", ip="203.0.113.31", cidrs="192.168.31.0/24", site=False
    )
    add_connection(c_client, beta, second)
    wait_converged(lab)

    edit = {
        **GOOD,
        "name": other.name,
        "gateway_ip": other.gateway_ip,
        "cidr_list": "192.168.30.0/24\n192.168.40.0/24",
        "psk": "",
    }
    edited = c_client.post(reverse("vpn:customer-gateway-edit", args=[other.pk]), edit)
    assert edited.status_code == 302, edited.content.decode()[:2000]
    deleted = a_client.post(reverse("vpn:connection-delete", args=[a_conn.pk]))
    assert deleted.status_code in (200, 302)
    assert not VpnConnection.objects.filter(pk=a_conn.pk).exists()
    wait_converged(lab)
    time.sleep(2)  # a stray message would land now: nothing may change
    assert converged(lab)
    # No agent was ever handed another node's router (a broadcast would do that).
    assert "refused: router" not in lab.logs_since(sizes)


def test_it_restarts_a_dead_charon_and_leaves_the_other_routers_alone(
    lab, alice, charlie, pool
) -> None:
    alpha, beta = two_tenants(alice, charlie)
    gamma = lab_vpc(alice, name="gamma", cidr="10.3.0.0/16")  # beside alpha or beta
    connections = {}
    for n, vpc in enumerate((alpha, beta, gamma)):
        owner = alice if vpc.account_id == alice.account_id else charlie
        cgw = customer(
            owner, name=f"site{n}", ip=f"203.0.113.{40 + n}", cidrs=f"192.168.{40 + n}.0/24"
        )
        connections[vpc.pk] = add_connection(portal_client(owner), vpc, cgw)
    for connection in connections.values():
        wait_state(connection, "connected")
    time.sleep(1.5)  # let the both-ends-initiated duplicates settle
    untouched = {vpc.pk: sa_ids(vpc) for vpc in (beta, gamma)}

    host, name = router_host(alpha)
    before = {n.name: n.pid for n in host.status()}[name]
    started = time.monotonic()
    host.kill_charon(name)  # returns once it is dead; the agent alone brings it back

    def back() -> bool:
        pid = {n.name: n.pid for n in host.status() if n.running}.get(name)
        if pid is None or pid == before:
            return False
        return any(sa.state == "ESTABLISHED" for sa in router_sas(alpha))  # in the new charon

    wait_for(back, timeout=30, what="a new charon with the tunnel established again")
    wait_state(connections[alpha.pk], "connected", timeout=30 - (time.monotonic() - started))
    print(f"\ncharon killed -> Connected again {time.monotonic() - started:.1f} s later")
    assert {vpc.pk: sa_ids(vpc) for vpc in (beta, gamma)} == untouched
    router = Router.objects.get(vpc=alpha)
    assert router.restarts >= 1 and router.state == "running"


def test_it_keeps_tunnels_up_while_an_agent_dies_and_comes_back(lab, alice, pool) -> None:
    vpc, cgw = lab_vpc(alice), customer(alice)
    connection = add_connection(portal_client(alice), vpc, cgw)
    wait_state(connection, "connected")
    time.sleep(1.5)
    connection.refresh_from_db()
    changed, ids = connection.state_changed, sa_ids(vpc)
    node = node_of(vpc)
    old_pid = lab.nodes.pid(node)

    lab.nodes.kill(node)  # SIGKILL of the agent's whole process group; charons live on
    wait_for(lambda: lab.nodes.pid(node) != old_pid, timeout=10, what="the agent to restart")
    deadline = time.monotonic() + 10  # the agent is back: watch it converge
    while time.monotonic() < deadline:
        connection.refresh_from_db()
        assert connection.state == "connected", connection.state_reason
        time.sleep(0.2)
    assert connection.state_changed == changed  # no state flapped
    assert sa_ids(vpc) == ids  # the tunnel itself was never touched
    assert Router.objects.get(vpc=vpc).node.name == node  # type: ignore[union-attr]


def test_it_rebuilds_the_routers_of_a_lost_node_elsewhere(lab, alice, charlie, pool) -> None:
    alpha, beta = two_tenants(alice, charlie)
    hq = customer(alice, name="hq", ip="203.0.113.10", cidrs="192.168.10.0/24")
    other = customer(charlie, name="other", ip="203.0.113.30", cidrs="192.168.30.0/24")
    lost_conn = add_connection(portal_client(alice), alpha, hq)
    kept_conn = add_connection(portal_client(charlie), beta, other)
    wait_state(lost_conn, "connected")
    wait_state(kept_conn, "connected")
    time.sleep(1.5)
    lost, kept = node_of(alpha), node_of(beta)
    kept_ids = sa_ids(beta)

    lab.nodes.lose(lost)  # agent stopped, its namespaces and charons gone
    started = time.monotonic()
    wait_for(
        lambda: node_of(alpha) == kept,
        timeout=30,
        what=lambda: (
            "alpha's router to fail over; nodes: "
            + ", ".join(
                f"{n.name} beat {n.last_heartbeat} alive={n.is_alive()}"
                for n in NetworkNode.objects.all()
            )
            + f"; routers: {list(Router.objects.values_list('pk', 'node__name', 'state'))}"
        ),
    )
    wait_state(lost_conn, "connected", timeout=60)
    print(f"\nnode lost -> Connected on {kept} {time.monotonic() - started:.1f} s later")
    assert sa_ids(beta) == kept_ids

    lab.nodes.start(lost)  # it comes back: it must remove its copy and fight over nothing
    wait_for(
        lambda: NetworkNode.objects.get(name=lost).is_alive() and not lab.host_of(lost).names(),
        timeout=30,
        what=f"{lost} to come back and remove what it no longer owns",
    )
    time.sleep(2)
    assert sa_ids(beta) == kept_ids
    assert node_of(alpha) == kept
    lost_conn.refresh_from_db()
    assert lost_conn.state == "connected"


def test_it_moves_a_router_when_an_operator_asks(lab, alice, pool, admin_user) -> None:
    vpc, cgw = lab_vpc(alice), customer(alice)
    connection = add_connection(portal_client(alice), vpc, cgw)
    wait_state(connection, "connected")
    router = Router.objects.select_related("node").get(vpc=vpc)
    old = router.node.name  # type: ignore[union-attr]
    target = NetworkNode.objects.exclude(name=old).get(name__in=NODES)
    operator = Client()
    operator.force_login(admin_user)
    response = operator.post(
        reverse("admin:network_router_changelist"),
        {"action": "move_routers", "_selected_action": [router.pk], "node": target.pk},
    )
    assert response.status_code == 302
    wait_for(lambda: node_of(vpc) == target.name, timeout=10, what="the move to be recorded")
    new_host, name = lab.host_of(target.name), f"r{router.pk}"
    wait_for(lambda: not lab.host_of(old).names(), timeout=15, what=f"nothing left on {old}")
    wait_for(lambda: name in new_host.names(), timeout=20, what=f"the router on {target.name}")

    def established_there() -> bool:
        try:
            with open_session(new_host.vici_uri(name)) as session:
                sas = parse_sas(session.list_sas())
        except RouterUnreachable:
            return False  # its charon is still starting
        return any(sa.state == "ESTABLISHED" for sa in sas)

    wait_for(established_there, timeout=30, what="the tunnel up on the new node")
    wait_state(connection, "connected", timeout=10)
