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
    # settles it by its uniqueness policy, not on a schedule); every one of them comes up (the
    # router's own attempt may still be in flight when the first one is recorded Connected).
    def ours_up() -> bool:
        ours = [sa for sa in router_sas(vpc) if sa.name == f"vpn-{connection.pk}"]
        return bool(ours) and all(sa.state == "ESTABLISHED" for sa in ours)

    wait_for(ours_up, what="every IKE SA of the router up")

    # The site too may hold both ends' IKE SAs when their authentications crossed (neither
    # replaced the other): what counts is a CHILD_SA installed for each of its networks, on
    # whichever of them, and traffic through them.
    def networks_installed() -> int:
        return len(
            {
                child.local_ts
                for sa in site_sas(cgw)
                if sa.state == "ESTABLISHED"
                for child in sa.children
                if child.state == "INSTALLED"
            }
        )

    wait_for(
        lambda: networks_installed() == len(cgw.cidrs),
        what="one CHILD_SA installed per network on the site",
    )
    assert ping_from_site(cgw, vpc)
