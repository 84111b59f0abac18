"""Every MODP group the portal offers negotiates between real charons, through the gmp plugin.

Routers (and the lab's sites) load gmp before openssl, so that gmp computes the MODP groups
(agent/driver/charon.py PLUGINS says why); the elliptic groups stay with openssl and are covered
by the lifecycle and ipsec.conf tests.
"""

import pytest

from tests.e2e.helpers import (
    add_connection,
    customer,
    lab_vpc,
    portal_client,
    router_uri,
    wait_state,
)
from vpn.choices import DhGroup
from vpn.models import VpnConnection
from vpn.strongswan.session import open_session

pytestmark = [pytest.mark.lab]

MODP = [group for group in DhGroup if group.value.startswith("modp")]


@pytest.mark.parametrize("group", MODP, ids=[g.value for g in MODP])
def test_a_modp_group_comes_up_through_gmp(lab, alice, pool, settings, group: DhGroup) -> None:
    # Groups 2 and 5 are offered where the operator allows legacy crypto.
    settings.PORTAL = {**settings.PORTAL, "ALLOW_LEGACY_CRYPTO": True}
    vpc = lab_vpc(alice)
    cgw = customer(alice, ike_dh=group.value)
    connection = add_connection(portal_client(alice), vpc, cgw)
    wait_state(connection, "connected")

    negotiated = VpnConnection.objects.get(pk=connection.pk).negotiated
    bits = group.value.removeprefix("modp")
    assert f"MODP_{bits}" in negotiated, negotiated
    with open_session(router_uri(vpc)) as session:
        implementations = session.get_algorithms()["dh"]  # strongSwan 5.9: {name: plugin}
    assert implementations[f"MODP_{bits}"] == b"gmp", implementations
