"""Acceptance: the indicator follows real failures, and the reasons say what went wrong."""

import dataclasses
import time

import pytest

from lab.sites import host_of, site_name, sync_site
from lab.world import world
from tests.e2e.helpers import (
    add_connection,
    customer,
    lab_vpc,
    portal_client,
    router_host,
    router_sas,
    wait_state,
)
from tests.stack import wait_for
from vpn.device_configs import render_device_config
from vpn.models import VpnConnection
from vpn.specs import spec_for

pytestmark = [pytest.mark.lab]


def test_it_follows_the_customer_site_going_away_and_coming_back(lab, alice, pool) -> None:
    vpc, cgw = lab_vpc(alice), customer(alice)
    connection = add_connection(portal_client(alice), vpc, cgw)
    wait_state(connection, "connected")
    world().stop_charon(site_name(cgw.pk))
    took = wait_state(connection, "disconnected", timeout=60)
    print(f"\ncustomer charon stopped -> Disconnected in {took * 1000:.0f} ms")
    world().start_charon(site_name(cgw.pk))
    sync_site(cgw)  # the device boots with its configuration
    took = wait_state(connection, "connected", timeout=20)
    print(f"customer charon back -> Connected in {took * 1000:.0f} ms, no portal action")


def _manual_site(user_cgw, spec_change: dict, psk: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """A device configured by hand (not from the portal's download), e.g. with a typo."""
    connection = VpnConnection.objects.select_related("gateway__vpc", "customer_gateway").get(
        customer_gateway=user_cgw
    )
    spec = dataclasses.replace(spec_for(connection), **spec_change)
    if psk is not None:
        spec = dataclasses.replace(spec, psk=psk)
    subnets = [(c, host_of(c)) for c in user_cgw.cidrs]
    world().add_site("manual", [user_cgw.gateway_ip], subnets)
    world().load_site_config("manual", render_device_config(spec))


@pytest.mark.parametrize(
    ("change", "psk", "words"),
    [
        ({}, "Wrong-Key-On-Device", "authentication"),
        ({"ike_encryption": "aes128", "ike_dh": "ecp256"}, None, "no common algorithms"),
    ],
    ids=["wrong-psk", "proposal-mismatch"],
)
def test_it_explains_why_a_tunnel_does_not_come_up(lab, alice, pool, change, psk, words) -> None:
    vpc = lab_vpc(alice)
    cgw = customer(alice, site=False)
    connection = add_connection(portal_client(alice), vpc, cgw)
    _manual_site(cgw, change, psk)
    wait_for(
        lambda: words in (VpnConnection.objects.get(pk=connection.pk).state_reason or "").lower(),
        timeout=25,
        what=f"a reason mentioning {words!r}",
    )
    time.sleep(2)
    connection.refresh_from_db()
    assert connection.state in ("error", "disconnected"), connection.state
    print(f"\n{connection.state}: {connection.state_reason}")


def test_it_restores_every_connection_after_the_router_restarts(lab, alice, pool) -> None:
    """A charon restarted empty (by someone else than the agent) gets everything back."""
    vpc = lab_vpc(alice)
    client = portal_client(alice)
    cgws = [
        customer(alice, name=f"site{n}", ip=f"203.0.113.{10 + n}", cidrs=f"192.168.{10 + n}.0/24")
        for n in range(3)
    ]
    connections = [add_connection(client, vpc, cgw) for cgw in cgws]
    for connection in connections:
        wait_state(connection, "connected")
    host, router = router_host(vpc)
    before = {n.name: n.pid for n in host.status()}[router]
    started = time.monotonic()
    host.kill_charon(router)
    host.start_charon(router)  # an empty charon: nothing loaded
    assert {n.name: n.pid for n in host.status()}[router] != before

    def restored() -> bool:
        sas = router_sas(vpc)
        per_conn = {
            c.pk: [sa for sa in sas if sa.name == f"vpn-{c.pk}" and sa.state == "ESTABLISHED"]
            for c in connections
        }
        return all(len(found) == 1 for found in per_conn.values())

    wait_for(restored, timeout=30, what="one established IKE SA per connection")
    took = time.monotonic() - started
    print(
        f"\nrouter charon killed and restarted -> all restored {took * 1000:.0f} ms after the kill"
    )
    for connection in connections:
        wait_state(connection, "connected")


def test_it_converges_when_the_agent_dies_before_the_push(lab, alice, pool) -> None:
    """The push is sent while the node's agent (and so its worker) is dead; the message waits
    on the node's queue and the restarted agent delivers it."""
    vpc, cgw = lab_vpc(alice), customer(alice)
    client = portal_client(alice)
    node = vpc.router.node.name
    lab.nodes.stop(node)
    connection = add_connection(client, vpc, cgw)
    time.sleep(0.5)
    lab.nodes.start(node)
    took = wait_state(connection, "connected", timeout=30)
    print(f"\nafter an agent outage: Connected {took:.1f} s after the agent started again")


def test_it_tells_the_tenant_in_plain_words_while_the_router_is_down(lab, alice, pool) -> None:
    """charon stopped cleanly: the agent brings it back; meanwhile the tenant reads a plain
    sentence and the operator sees the details on the router."""
    vpc, cgw = lab_vpc(alice), customer(alice)
    connection = add_connection(portal_client(alice), vpc, cgw)
    wait_state(connection, "connected")
    host, router = router_host(vpc)
    host.stop_charon(router)
    wait_for(
        lambda: VpnConnection.objects.get(pk=connection.pk).state != "connected",
        timeout=15,
        what="the connection to leave Connected",
    )
    connection.refresh_from_db()
    assert "/" not in connection.state_reason and "vici" not in connection.state_reason.lower()
    took = wait_state(connection, "connected", timeout=30)
    print(f"\nrouter back -> Connected again in {took * 1000:.0f} ms, no action in the portal")
