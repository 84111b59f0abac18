"""Acceptance: the indicator follows real failures, and the reasons say what went wrong."""

import dataclasses
import time

import pytest

from network.routers import lab
from tests.e2e.helpers import (
    add_connection,
    customer,
    lab_vpc,
    portal_client,
    router_sas,
    wait_state,
)
from tests.stack import wait_for
from vpn.device_configs import render_device_config
from vpn.lab_sites import host_of, site_name, sync_site
from vpn.models import VpnConnection
from vpn.specs import spec_for

pytestmark = [pytest.mark.lab]


def test_it_follows_the_customer_site_going_away_and_coming_back(lab, alice, pool) -> None:
    vpc, cgw = lab_vpc(alice), customer(alice)
    connection = add_connection(portal_client(alice), vpc, cgw)
    wait_state(connection, "connected")
    lab.stop_charon(site_name(cgw.pk))
    took = wait_state(connection, "disconnected", timeout=60)
    print(f"\ncustomer charon stopped -> Disconnected in {took * 1000:.0f} ms")
    lab.start_charon(site_name(cgw.pk))
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
    lab().add_site("manual", [user_cgw.gateway_ip], subnets)
    lab().load_site_config("manual", render_device_config(spec))


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
    vpc = lab_vpc(alice)
    client = portal_client(alice)
    cgws = [
        customer(alice, name=f"site{n}", ip=f"203.0.113.{10 + n}", cidrs=f"192.168.{10 + n}.0/24")
        for n in range(3)
    ]
    connections = [add_connection(client, vpc, cgw) for cgw in cgws]
    for connection in connections:
        wait_state(connection, "connected")
    router = f"r{vpc.router.pk}"
    before = {n.name: n.pid for n in lab.status()}[router]
    started = time.monotonic()
    lab.kill_charon(router)
    lab.start_charon(router)  # an empty charon: nothing loaded
    assert {n.name: n.pid for n in lab.status()}[router] != before

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


def test_it_converges_when_the_worker_dies_mid_reconcile(lab, stack, alice, pool) -> None:
    vpc, cgw = lab_vpc(alice), customer(alice)
    client = portal_client(alice)
    stack.kill_worker()  # the reconcile message is sent while no worker lives
    connection = add_connection(client, vpc, cgw)
    time.sleep(0.5)
    stack.start_worker("worker-after-crash")
    took = wait_state(connection, "connected", timeout=30)
    print(f"\nafter a worker crash: Connected {took:.1f} s after the new worker started")


def test_it_shows_an_unreachable_router_and_recovers_by_itself(lab, alice, pool) -> None:
    vpc, cgw = lab_vpc(alice), customer(alice)
    connection = add_connection(portal_client(alice), vpc, cgw)
    wait_state(connection, "connected")
    lab.stop_charon(f"r{vpc.router.pk}")
    wait_for(
        lambda: "unreachable" in VpnConnection.objects.get(pk=connection.pk).state_reason.lower(),
        timeout=15,
        what="Error: router unreachable",
    )
    vpc.router.refresh_from_db()
    assert vpc.router.state == "unreachable"
    lab.start_charon(f"r{vpc.router.pk}")
    took = wait_state(connection, "connected", timeout=30)
    print(f"\nrouter back -> Connected again in {took * 1000:.0f} ms, no action in the portal")
