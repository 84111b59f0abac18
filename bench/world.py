"""Building blocks: tenants, VPCs whose routers live on network nodes, gateways, customer
gateways, and looks at charon.

Whatever a tenant does goes through the portal (HTTP via Django's test Client, or the actions
the views call); routers are placed by the portal's scheduler and built by the agent of their
network node. Bulk rows (hundreds of customer gateways, pages with 1,000 rows) are written with
bulk_create, which is only faster, not different: the agents read the same rows. A router is
looked at through its node's Host (`Nodes.host(node).vici_uri("r<id>")`), a customer site
through the lab's world (`lab.world.world()`), both over `vpn.strongswan.session.open_session`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from bench.stack import Stack
from bench.stats import wait_until

if TYPE_CHECKING:  # imported at run time inside the functions, after django.setup()
    import vici

    from agent.driver import Host
    from network.models import Router, Vpc
    from portal.models import Account, User
    from vpn.models import CustomerGateway, VpnConnection, VpnGateway

PSK = "Bench-Pre-Shared-Key-2024"
SCALE_IPS = ipaddress.IPv4Network("198.18.0.0/15")  # RFC 2544 benchmarking range
POOL = 40  # Source NAT IPs 198.51.100.10-49: the tunnels VPC, 20 node routers, scale VPCs


def tenant(name: str) -> tuple[Account, User, Client]:
    """An account with one user, and a test Client logged in as that user."""
    from portal.models import Account

    account = Account.objects.create(name=name)
    user = get_user_model().objects.create(username=name, account=account)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    client = Client()
    client.force_login(user)
    return account, user, client


def ensure_pool(count: int = POOL) -> None:
    from network.models import PublicIp

    PublicIp.objects.bulk_create(
        [PublicIp(address=f"198.51.100.{10 + n}") for n in range(count)], ignore_conflicts=True
    )


def new_vpc(account: Account, name: str, second_octet: int) -> Vpc:
    """A VPC 10.<n>.0.0/16 (tier 10.<n>.1.0/24), through the portal's action: its router is
    placed on the least loaded live node, whose agent builds it."""
    from network.actions import create_vpc

    return create_vpc(
        account=account,
        name=name,
        cidr=f"10.{second_octet}.0.0/16",
        tier_name="web",
        tier_cidr=f"10.{second_octet}.1.0/24",
    )


def wait_router_ready(stack: Stack, vpc: Vpc, mark: int | None = None) -> None:
    """Until the VPC's router runs on its node, that node's monitor follows it and its first
    reconciles are done (one after the build, one when the monitor starts following it), so
    that what is measured next starts from quiet."""
    from network.models import Router

    router = Router.objects.select_related("node").get(vpc=vpc)
    assert router.node is not None, f"router of {vpc.name} was not placed on a node"
    wait_until(
        lambda: Router.objects.filter(pk=router.pk, state="running").exists(),
        timeout=60,
        every=0.05,
        what=f"router of {vpc.name} to be built on {router.node.name}",
    )
    agent = f"agent-{router.node.name}"
    stack.wait_log(agent, f"monitor router={router.pk} following", timeout=30, after=mark or 0)
    wait_until(
        lambda: Router.objects.get(pk=router.pk).reconcile_count >= 2,
        timeout=30,
        every=0.05,
        what=f"the first reconciles of {vpc.name}'s router",
    )


def lab_vpc(stack: Stack, account: Account, name: str, second_octet: int) -> Vpc:
    """A new VPC whose router is built, followed and quiet."""
    marks = {node: stack.log_size(f"agent-{node}") for node in stack.nodes.agents}
    vpc = new_vpc(account, name, second_octet)
    wait_router_ready(stack, vpc, marks.get(node_of(vpc), 0))
    vpc.refresh_from_db()
    return vpc


def node_of(vpc: Vpc) -> str:
    """The name of the network node the VPC's router is on now."""
    from network.models import Router

    name = Router.objects.filter(vpc=vpc).values_list("node__name", flat=True).first()
    assert name, f"router of {vpc} is on no node"
    return str(name)


def router_host(stack: Stack, router: Router) -> Host:
    """The Host of the node the router is on now (as its agent builds it)."""
    from network.models import Router

    node = Router.objects.filter(pk=router.pk).values_list("node__name", flat=True).first()
    assert node, f"router {router.pk} is on no node"
    return stack.host(str(node))


def router_name(router_id: int) -> str:
    return f"r{router_id}"


def router_uri(stack: Stack, vpc: Vpc) -> str:
    """The VICI socket of the VPC's router on its node now."""
    router = vpc.router
    return router_host(stack, router).vici_uri(router_name(router.pk))


def site_uri(cgw: CustomerGateway) -> str:
    from lab.sites import site_name
    from lab.world import world

    return world().vici_uri(site_name(cgw.pk))


def vpn_gateway(client: Client, vpc: Vpc) -> VpnGateway:
    from vpn.models import VpnGateway

    response = client.post(reverse("vpn:gateway-create", args=[vpc.pk]))
    assert response.status_code == 302, response.status_code
    return VpnGateway.objects.select_related("vpc__router").get(vpc=vpc)


def add_connection(client: Client, gateway: VpnGateway, cgw: CustomerGateway) -> VpnConnection:
    """The tenant's Add on the VPN Connection tab."""
    from vpn.models import VpnConnection

    response = client.post(
        reverse("vpn:connection-add", args=[gateway.pk]), {"customer_gateway": cgw.pk}
    )
    assert response.status_code == 302, response.content[:500]
    return VpnConnection.objects.get(gateway=gateway, customer_gateway=cgw)


def customer_gateways(
    account: Account, rows: Iterable[tuple[str, str, str]], **policy: object
) -> list[CustomerGateway]:
    """Customer gateways from (name, gateway_ip, cidr_list), all with the benchmark's key."""
    from vpn import crypto
    from vpn.models import CustomerGateway

    encrypted = crypto.encrypt(PSK)
    made = [
        CustomerGateway(
            account=account,
            name=name,
            gateway_ip=ip,
            cidr_list=cidrs,
            psk_encrypted=encrypted,
            psk_length=len(PSK),
            **policy,
        )
        for name, ip, cidrs in rows
    ]
    CustomerGateway.objects.bulk_create(made, batch_size=500)
    return list(CustomerGateway.objects.filter(account=account, name__in=[r.name for r in made]))


def remove_vpcs(stack: Stack, vpcs: Iterable[Vpc]) -> None:
    """Away with VPCs through the portal's actions (connections, gateway, VPC), and wait until
    their nodes have removed their routers; their customers' sites are removed too."""
    from lab.sites import site_name
    from lab.world import world
    from network.actions import delete_vpc
    from vpn.actions import delete_connection, delete_gateway
    from vpn.models import VpnConnection, VpnGateway

    routers: list[tuple[Host, str]] = []
    sites: set[str] = set()
    for vpc in vpcs:
        routers.append((router_host(stack, vpc.router), router_name(vpc.router.pk)))
        for connection in VpnConnection.objects.filter(gateway__vpc=vpc):
            sites.add(site_name(connection.customer_gateway_id))
            delete_connection(connection)
        for gateway in VpnGateway.objects.filter(vpc=vpc):
            delete_gateway(gateway)
        delete_vpc(vpc=vpc)
    for host, name in routers:
        wait_until(
            lambda h=host, n=name: n not in h.names(),  # type: ignore[misc]
            timeout=60,
            every=0.1,
            what=f"router {name} to be removed by its node",
        )
    present = set(world().names())
    for site in sites & present:
        world().remove(site)


@contextlib.contextmanager
def site_loads() -> Iterator[list[float]]:
    """The seconds of every customer-site load in this process while inside: the lab's receiver
    (lab/receivers.py) loads a site with its new download on commit, in the committing process
    and before the router's node is messaged, as the customer would configure their device
    first. Production has no such step, so the benchmark shows it apart."""
    from lab import sites

    original = sites.sync_site
    spent: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> bool:
        started = time.monotonic()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.monotonic() - started)

    sites.sync_site = timed
    try:
        yield spent
    finally:
        sites.sync_site = original


def names(values: Iterable[object]) -> set[str]:
    return {v.decode() if isinstance(v, bytes) else str(v) for v in values}


def conn_names(session: vici.Session) -> set[str]:
    return names(session.get_conns().get("conns", []))


def established(session: vici.Session, name: str) -> bool:
    """An ESTABLISHED IKE SA of `name` with an INSTALLED child on this charon."""
    from vpn.strongswan.sas import parse_sas

    for sa in parse_sas(session.list_sas({"ike": name})):
        installed = any(child.state == "INSTALLED" for child in sa.children)
        if sa.name == name and sa.state == "ESTABLISHED" and installed:
            return True
    return False


def established_at(uri: str, name: str) -> bool:
    """Whether the charon at `uri` has `name` up (False when that charon does not answer)."""
    from vpn.strongswan.errors import RouterUnreachable
    from vpn.strongswan.session import open_session

    try:
        with open_session(uri, timeout=2.0) as session:
            return established(session, name)
    except (RouterUnreachable, OSError):
        return False


def state_of(connection_id: int) -> str | None:
    """The connection's state in the database (None once it is deleted)."""
    from vpn.models import VpnConnection

    return VpnConnection.objects.filter(pk=connection_id).values_list("state", flat=True).first()


def state_is(connection_id: int, state: str) -> bool:
    return state_of(connection_id) == state


def has_conn(session: vici.Session, name: str) -> bool:
    """Whether charon has the conn `name` loaded (list-conns of that name only)."""
    return any(True for _ in session.list_conns({"ike": name}))


def add_connections(gateway: VpnGateway, cgws: Iterable[CustomerGateway], **fields: object) -> None:
    """Connections of `gateway` to each customer gateway, in bulk (rows only; nothing enqueued)."""
    from vpn.models import VpnConnection

    VpnConnection.objects.bulk_create(
        [VpnConnection(gateway=gateway, customer_gateway=cgw, **fields) for cgw in cgws],
        batch_size=500,
    )
