"""Acceptance: passive connections, edits, deletes, idempotent reconciles, the whole catalogue."""

import contextlib
import time

import pytest
from django.urls import reverse

from lab.sites import add_site
from network import dispatch
from network.models import Router
from tests.e2e.helpers import (
    add_connection,
    customer,
    lab_vpc,
    portal_client,
    router_conns,
    router_sas,
    router_uri,
    wait_state,
)
from tests.stack import wait_for
from tests.vpn.specs import make_spec
from vpn import policies
from vpn.strongswan.render import render_conn
from vpn.strongswan.session import open_session

pytestmark = [pytest.mark.lab]


def test_it_waits_for_the_device_on_a_passive_connection(lab, alice, pool) -> None:
    vpc = lab_vpc(alice)
    cgw = customer(alice, site=False)
    connection = add_connection(portal_client(alice), vpc, cgw, passive=True)
    wait_for(lambda: f"vpn-{connection.pk}" in router_conns(vpc)[0], what="the conn to be loaded")
    time.sleep(2)
    assert router_sas(vpc) == []  # our side never initiated
    connection.refresh_from_db()
    assert connection.state != "connected"
    add_site(cgw)  # the customer's device comes online and initiates
    took = wait_state(connection, "connected")
    print(f"\ndevice initiated -> Connected in {took * 1000:.0f} ms")


def test_it_pushes_an_edit_and_removes_a_deleted_connection(lab, alice, pool) -> None:
    from tests.vpn.test_portal_bad_input import GOOD

    vpc, cgw = lab_vpc(alice), customer(alice)
    client = portal_client(alice)
    connection = add_connection(client, vpc, cgw)
    wait_state(connection, "connected")
    edit = {
        **GOOD,
        "name": cgw.name,
        "gateway_ip": cgw.gateway_ip,
        "cidr_list": cgw.cidr_list,
        "psk": "",
        "esp_encryption": "aes128gcm16",
        "esp_pfs": "ecp256",
    }
    assert client.post(reverse("vpn:customer-gateway-edit", args=[cgw.pk]), edit).status_code == 302

    def new_esp() -> bool:
        connection.refresh_from_db()
        return connection.state == "connected" and "GCM" in connection.negotiated

    wait_for(new_esp, timeout=20, what="the tunnel to run on the edited ESP policy")
    print(f"\nafter the edit: {connection.negotiated}")

    client.post(reverse("vpn:connection-delete", args=[connection.pk]))
    name = f"vpn-{connection.pk}"

    def gone() -> bool:
        conns, keys = router_conns(vpc)
        return name not in conns and f"psk-{name}" not in keys and not router_sas(vpc)

    wait_for(gone, timeout=15, what="conn, secret and SAs to leave the router")


def test_it_changes_no_sa_when_reconciling_a_healthy_router(lab, alice, pool) -> None:
    vpc = lab_vpc(alice)
    client = portal_client(alice)
    connections = [
        add_connection(
            client,
            vpc,
            customer(alice, name=f"s{n}", ip=f"203.0.113.{20 + n}", cidrs=f"192.168.{20 + n}.0/24"),
        )
        for n in range(2)
    ]
    for connection in connections:
        wait_state(connection, "connected")

    def ids() -> set[tuple[int, ...]]:
        return {(sa.uniqueid, *(c.uniqueid for c in sa.children)) for sa in router_sas(vpc)}

    def settled() -> bool:  # both ends initiated: wait until the duplicate IKE SA is replaced
        first = ids()
        time.sleep(1.0)
        return len(first) == len(connections) and ids() == first

    wait_for(settled, timeout=20, what="one steady IKE SA per connection")
    before = ids()
    router = Router.objects.select_related("node").get(vpc=vpc)
    for _ in range(3):
        dispatch.send(router.node, dispatch.RECONCILE_ROUTER, router.pk)
    wait_for(
        lambda: Router.objects.get(pk=router.pk).reconcile_count >= router.reconcile_count + 3,
        timeout=20,
        what="three reconciles by the router's node",
    )
    assert ids() == before


def test_it_has_charon_accept_every_policy_the_form_offers(lab, alice, pool) -> None:
    vpc = lab_vpc(alice)
    combos = policies.catalogue()
    rejected = []
    with open_session(router_uri(vpc)) as session:
        for n, (ike, esp) in enumerate(combos):
            spec = make_spec(
                connection_id=90000 + n,
                gateway_ip=vpc.router.public_ip,
                local_cidrs=(vpc.cidr,),
                peer_ip="203.0.113.99",
                remote_cidrs=("192.168.99.0/24",),
                passive=True,
            )
            message = render_conn(spec)
            [conn] = message.values()
            conn["proposals"] = [ike]
            for child in conn["children"].values():
                child["esp_proposals"] = [esp]
            try:
                session.load_conn(message)
            except Exception as error:
                rejected.append((ike, esp, str(error)))
            # The router's own reconcile may remove a conn the database does not know first.
            with contextlib.suppress(Exception):
                session.unload_conn({"name": f"vpn-{90000 + n}"})
    assert rejected == []
    print(f"\ncharon accepted all {len(combos)} catalogue combinations")
