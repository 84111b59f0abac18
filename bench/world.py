"""Building blocks: tenants, VPCs with lab routers, gateways, customer gateways, looks at charon.

Whatever a tenant does goes through the portal (HTTP via Django's test Client, or the actions
the views call). Bulk rows (hundreds of customer gateways, pages with 1,000 rows) are written
with bulk_create, which is only faster, not different: the worker reads the same rows.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from bench.stack import Stack
from bench.stats import wait_until

if TYPE_CHECKING:  # imported at run time inside the functions, after django.setup()
    import vici

    from network.lab import Lab
    from network.models import Vpc
    from portal.models import Account, User
    from vpn.models import CustomerGateway, VpnGateway

PSK = "Bench-Pre-Shared-Key-2024"
SCALE_IPS = ipaddress.IPv4Network("198.18.0.0/15")  # RFC 2544 benchmarking range


def lab() -> Lab:
    from network.routers import lab as the_lab

    return the_lab()


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


def ensure_pool(count: int = 20) -> None:
    from network.models import PublicIp

    PublicIp.objects.bulk_create(
        [PublicIp(address=f"198.51.100.{10 + n}") for n in range(count)], ignore_conflicts=True
    )


def lab_vpc(stack: Stack, account: Account, name: str, second_octet: int) -> Vpc:
    """A VPC 10.<n>.0.0/16 (tier 10.<n>.1.0/24) whose lab router the worker provisioned and
    the monitor follows."""
    from network.actions import create_vpc
    from network.models import Router

    mark = stack.log_size("monitor")
    vpc = create_vpc(
        account=account,
        name=name,
        cidr=f"10.{second_octet}.0.0/16",
        tier_name="web",
        tier_cidr=f"10.{second_octet}.1.0/24",
    )
    wait_until(
        lambda: Router.objects.filter(vpc=vpc, state="running").exclude(vici_uri="").exists(),
        timeout=60,
        every=0.05,
        what=f"router of {name} to be provisioned",
    )
    stack.wait_log("monitor", f"monitor router={vpc.router.pk} following", timeout=30, after=mark)
    # Two reconciles follow a new router (one after provisioning, one when the monitor starts
    # following it): let both finish so that what is measured next starts from quiet.
    wait_until(
        lambda: Router.objects.get(vpc=vpc).reconcile_count >= 2,
        timeout=30,
        every=0.05,
        what=f"the first reconciles of {name}'s router",
    )
    vpc.refresh_from_db()
    return vpc


def vpn_gateway(client: Client, vpc: Vpc) -> VpnGateway:
    from vpn.models import VpnGateway

    response = client.post(reverse("vpn:gateway-create", args=[vpc.pk]))
    assert response.status_code == 302, response.status_code
    return VpnGateway.objects.select_related("vpc__router").get(vpc=vpc)


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


def router_uri(vpc: Vpc) -> str:
    from network.routers import node_name

    return lab().vici_uri(node_name(vpc.router.pk))


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


def count_states(gateway: VpnGateway, state: str) -> int:
    from vpn.models import VpnConnection

    return VpnConnection.objects.filter(gateway=gateway, state=state).count()


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
