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

    # Connected is recorded as the first IKE SA comes up. When both ends initiated at once,
    # the other end's attempt may still be negotiating then, and both may stay: wait for every
    # one of them, then each end has the tunnel installed.
    def router_ikes() -> list:  # type: ignore[type-arg]
        return [sa for sa in router_sas(vpc) if sa.name == f"vpn-{connection.pk}"]

    wait_for(
        lambda: bool(router_ikes()) and all(sa.state == "ESTABLISHED" for sa in router_ikes()),
        what="every IKE SA of the connection up on the router",
    )
    children = [child for ike in router_ikes() for child in ike.children]
    assert children and all(child.state == "INSTALLED" for child in children)
    assert {(child.local_ts, child.remote_ts) for child in children} == {
        (("10.1.0.0/16",), ("192.168.10.0/24",))
    }
    wait_for(
        lambda: all(sa.state == "ESTABLISHED" for sa in site_sas(cgw)),
        what="every IKE SA of the site up",
    )
    peers = site_sas(cgw)
    assert peers and any(c.state == "INSTALLED" for sa in peers for c in sa.children)

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
