"""Building blocks of the end-to-end tests: a VPC with its router on a network node, a customer
site, a connection added through the portal, looks at both charons, and the far ends of alerts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.test import Client, override_settings
from django.urls import reverse

from agent.driver import Host
from alerts import actions
from alerts.models import AlertSettings
from lab.sites import add_site, host_of, site_name
from lab.world import world
from network.actions import create_vpc
from network.models import Router, Vpc
from portal.models import User
from tests.alerts.receivers import Hook, Inbox, http_receiver, smtp_server
from tests.stack import ALERT_SMTP_PORT, NODES, Stack, wait_for
from vpn.actions import save_customer_gateway
from vpn.models import CustomerGateway, VpnConnection, VpnGateway
from vpn.strongswan.sas import parse_sas
from vpn.strongswan.session import open_session

PSK = "e2e-Pre-Shared-Key-42"


def lab_vpc(user: User, name: str = "prod", cidr: str = "10.1.0.0/16") -> Vpc:
    second = cidr.replace(".0.0/16", ".1.0/24")
    vpc = create_vpc(account=user.account, name=name, cidr=cidr, tier_name="web", tier_cidr=second)
    wait_for(
        lambda: Router.objects.filter(vpc=vpc, state="running").exists(),
        what="the router to be built by its network node",
    )
    return vpc


def router_host(vpc: Vpc) -> tuple[Host, str]:
    """The Host of the node the router is on now, and the router's name there."""
    router = Router.objects.select_related("node").get(vpc=vpc)
    assert router.node is not None and router.node.name in NODES
    return Stack.host_of(router.node.name), f"r{router.pk}"


def router_uri(vpc: Vpc) -> str:
    host, name = router_host(vpc)
    return host.vici_uri(name)


def customer(
    user: User,
    name: str = "hq",
    ip: str = "203.0.113.10",
    cidrs: str = "192.168.10.0/24",
    site: bool = True,
    **policy: object,
) -> CustomerGateway:
    cgw = save_customer_gateway(
        CustomerGateway(name=name, gateway_ip=ip, cidr_list=cidrs, **policy),
        account=user.account,
        psk=PSK,
    )
    if site:
        add_site(cgw)
    return cgw


def portal_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add_connection(
    client: Client, vpc: Vpc, cgw: CustomerGateway, passive: bool = False
) -> VpnConnection:
    client.post(reverse("vpn:gateway-create", args=[vpc.pk]))
    gateway = VpnGateway.objects.get(vpc=vpc)
    data = {"customer_gateway": cgw.pk, **({"passive": "on"} if passive else {})}
    response = client.post(reverse("vpn:connection-add", args=[gateway.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return VpnConnection.objects.get(gateway=gateway, customer_gateway=cgw)


def state_of(connection: VpnConnection) -> str:
    connection.refresh_from_db()
    return connection.state


def wait_state(connection: VpnConnection, state: str, timeout: float = 20.0) -> float:
    def now() -> str:
        return (
            f"connection {connection.pk} to be {state} (it is {connection.state}: "
            f"{connection.state_reason})"
        )

    return wait_for(lambda: state_of(connection) == state, timeout=timeout, what=now)


def router_sas(vpc: Vpc) -> list:  # type: ignore[type-arg]
    with open_session(router_uri(vpc)) as session:
        return parse_sas(session.list_sas())


def site_sas(cgw: CustomerGateway) -> list:  # type: ignore[type-arg]
    with open_session(world().vici_uri(site_name(cgw.pk))) as session:
        return parse_sas(session.list_sas())


def router_conns(vpc: Vpc) -> tuple[set[str], set[str]]:
    with open_session(router_uri(vpc)) as session:
        conns = {c.decode() if isinstance(c, bytes) else c for c in session.get_conns()["conns"]}
        keys = {k.decode() if isinstance(k, bytes) else k for k in session.get_shared()["keys"]}
    return conns, keys


def ping_from_site(cgw: CustomerGateway, vpc: Vpc) -> bool:
    source = host_of(cgw.cidrs[0])
    target = vpc.tiers.first().gateway
    result = world().exec(
        site_name(cgw.pk), ["ping", "-c", "3", "-i", "0.2", "-W", "1", "-I", source, target]
    )
    return result.returncode == 0


@contextmanager
def alert_receivers(user: User) -> Iterator[tuple[Inbox, Hook, str]]:
    """A real SMTP server where the stack's worker sends mail and a real HTTP receiver on
    loopback; the user's account alerts both after one minute down (2 s in the stack). Yields
    them and the webhook's signing secret."""
    with smtp_server(ALERT_SMTP_PORT) as inbox, http_receiver() as hook:
        with override_settings(PORTAL_ALERT_ALLOW_LOOPBACK=True):  # as the stack's worker has it
            secret = actions.save_settings(
                AlertSettings(
                    account=user.account,
                    email_enabled=True,
                    emails=["noc@example.com"],
                    webhook_enabled=True,
                    webhook_url=hook.url,
                    down_after_minutes=1,
                )
            )
        yield inbox, hook, secret
