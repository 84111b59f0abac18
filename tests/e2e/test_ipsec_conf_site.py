"""Acceptance: the strongSwan ipsec.conf download, loaded by strongSwan's starter (the legacy
`ipsec` tooling: starter parses ipsec.conf and hands it to charon over stroke) in a lab site,
brings a real tunnel up with our router and carries traffic."""

import pytest

from agent.driver import charon
from lab.sites import add_site, site_name, use_ipsec_conf
from lab.world import world
from tests.e2e.helpers import (
    add_connection,
    lab_vpc,
    ping_from_site,
    portal_client,
    router_sas,
    site_sas,
    wait_state,
)
from tests.stack import wait_for
from vpn.actions import save_customer_gateway
from vpn.models import CustomerGateway

pytestmark = [pytest.mark.lab]
# ipsec.secrets reads an unquoted 0x... as hex: quoted, the download keeps it literal, as our
# router takes it.
PSK = "0xStarter-Literal-Key-42"


POLICIES = {
    "default": {},
    "gcm_group20_split": {
        "cidr_list": "192.168.30.0/24, 192.168.31.0/24",
        "split_connections": True,
        "ike_encryption": "aes256gcm16",
        "ike_integrity": "sha384",
        "ike_dh": "ecp384",
        "esp_encryption": "aes256gcm16",
        "esp_pfs": "ecp384",
    },
}


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_it_brings_the_tunnel_up_from_the_ipsec_conf_download(
    lab, stack, alice, pool, policy
) -> None:
    vpc = lab_vpc(alice)
    fields = {"cidr_list": "192.168.30.0/24", **POLICIES[policy]}
    cgw = save_customer_gateway(
        CustomerGateway(name="legacy", gateway_ip="203.0.113.30", **fields),
        account=alice.account,
        psk=PSK,
    )
    add_site(cgw)
    use_ipsec_conf(cgw)  # from now on the site runs starter on its ipsec.conf download
    site_dir = world().base_dir / site_name(cgw.pk)
    assert charon.starter_pid(site_dir) is not None

    connection = add_connection(portal_client(alice), vpc, cgw)
    wait_state(connection, "connected", timeout=40)

    assert (site_dir / "starter" / "ipsec.conf").read_text().count(f"conn vpn-{connection.pk}")
    assert charon.starter_pid(site_dir) is not None, "the lab loaded the site some other way"

    # Both ends start the tunnel: the router may keep a duplicate IKE SA for a while (charon
    # settles it by its uniqueness policy, not on a schedule); every one of them is up.
    ours = [sa for sa in router_sas(vpc) if sa.name == f"vpn-{connection.pk}"]
    assert ours and all(sa.state == "ESTABLISHED" for sa in ours)
    wait_for(lambda: len(site_sas(cgw)) == 1, what="one IKE SA on the site")
    wait_for(
        lambda: len(site_sas(cgw)[0].children) == len(cgw.cidrs),
        what="one CHILD_SA per network on the site",
    )
    [peer] = site_sas(cgw)
    assert all(child.state == "INSTALLED" for child in peer.children)
    assert ping_from_site(cgw, vpc)
