"""Customer sites: a namespace and charon standing in for a tenant's VPN device.

A site is configured the way a customer would configure their device: with the portal's own
**Download configuration** file of each connection that uses its customer gateway (rendered by
vpn.device_configs), loaded whole with `swanctl --load-all`. So the download is proven against
a real peer every time the lab runs. A site switched to the ipsec.conf download
(`use_ipsec_conf`) runs strongSwan's starter on that file instead (lab/starter.py), and keeps
doing so whenever it is synced.
"""

import ipaddress
import logging

from lab import starter
from lab.world import world
from vpn.device_configs import render_device_config
from vpn.models import CustomerGateway, VpnConnection
from vpn.specs import spec_for

log = logging.getLogger(__name__)
IPSEC_CONF = "strongswan-ipsec"  # the device key of the ipsec.conf download


def site_name(customer_gateway_id: int) -> str:
    return f"c{customer_gateway_id}"


def host_of(cidr: str) -> str:
    """The site's own address in one of its subnets: the first host."""
    return str(ipaddress.IPv4Network(cidr).network_address + 1)


def add_site(customer_gateway: CustomerGateway) -> str:
    """A running site for this customer gateway (idempotent), loaded with its connections."""
    subnets = [(cidr, host_of(cidr)) for cidr in customer_gateway.cidrs]
    uri = world().add_site(site_name(customer_gateway.pk), [customer_gateway.gateway_ip], subnets)
    sync_site(customer_gateway)
    return uri


def present() -> set[str]:
    """The names of the sites that exist."""
    return {node.name for node in world().status() if node.kind == "site"}


def has_site(customer_gateway_id: int) -> bool:
    return site_name(customer_gateway_id) in present()


def device_config(customer_gateway: CustomerGateway, kind: str = "strongswan") -> str:
    """Every connection of this customer gateway, as its device's one configuration file
    (swanctl.conf, or the ipsec.conf download with kind "strongswan-ipsec")."""
    connections = (
        VpnConnection.objects.filter(customer_gateway=customer_gateway)
        .select_related("gateway__vpc", "customer_gateway")
        .order_by("id")
    )
    return "\n".join(render_device_config(spec_for(c), kind=kind) for c in connections)


def use_ipsec_conf(customer_gateway: CustomerGateway) -> None:
    """From now on, configure this site from its ipsec.conf download through starter."""
    name = site_name(customer_gateway.pk)
    starter.load(world(), name, device_config(customer_gateway, IPSEC_CONF))
    log.info("lab site %s loaded by starter", name)


def sync_site(customer_gateway: CustomerGateway, *, if_changed: bool = False) -> bool:
    """Load the site with its current download; with `if_changed`, only when that differs from
    what its running charon has. Returns whether it was loaded."""
    name = site_name(customer_gateway.pk)
    if starter.uses_starter(world(), name):
        download = device_config(customer_gateway, IPSEC_CONF)
        loaded = starter.load(world(), name, download, if_changed=if_changed)
    else:
        download = device_config(customer_gateway)
        loaded = world().load_site_config(name, download, if_changed=if_changed)
    if loaded:
        log.info("lab site %s loaded", name)
    return loaded


def sync_all_sites() -> int:
    """Load every site whose download changed (or whose charon restarted) since it was last
    loaded, as each customer would; returns the sites loaded."""
    sites = present()
    count = 0
    for cgw in CustomerGateway.objects.all():
        if site_name(cgw.pk) in sites:
            count += sync_site(cgw, if_changed=True)
    return count
