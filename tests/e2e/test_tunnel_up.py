"""Acceptance: a connection added in the portal becomes a real tunnel that carries traffic."""

import pytest
from django.urls import reverse

from tests.e2e.helpers import (
    PSK,
    add_connection,
    customer,
    lab_vpc,
    ping_from_site,
    portal_client,
    router_sas,
    site_sas,
    wait_state,
)
from tests.stack import wait_for

pytestmark = [pytest.mark.lab]


def test_it_builds_a_tunnel_that_carries_traffic(lab, stack, alice, pool) -> None:
    vpc = lab_vpc(alice)
    cgw = customer(alice)
    client = portal_client(alice)
    connection = add_connection(client, vpc, cgw)
    took = wait_state(connection, "connected")
    print(f"\nclick to Connected in the database: {took * 1000:.0f} ms")

    [ike] = [sa for sa in router_sas(vpc) if sa.name == f"vpn-{connection.pk}"]
    assert ike.state == "ESTABLISHED"
    [child] = ike.children
    assert child.state == "INSTALLED"
    assert child.local_ts == ("10.1.0.0/16",) and child.remote_ts == ("192.168.10.0/24",)
    [peer] = site_sas(cgw)
    assert peer.state == "ESTABLISHED" and peer.children[0].state == "INSTALLED"

    assert ping_from_site(cgw, vpc)
    wait_for(
        lambda: any(c.bytes_in > 0 for sa in router_sas(vpc) for c in sa.children),
        what="bytes-in > 0 on the router",
    )
    url = reverse("vpn:gateway-detail", args=[connection.gateway_id])
    fragment = client.get(
        url, {"tab": "connections", "fragment": "connections"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-state="connected"' in fragment and "Connected" in fragment
    assert PSK not in stack.logs()  # worker, beat and monitor never log the key
