"""Two tenants' worlds to attack each other with, and snapshots of the database to prove that
nothing changed.

Each world has one of everything a URL can name, in the states that make an action possible
(an idle customer gateway can be deleted, a gateway without connections can be deleted, a VPC
without a gateway can get one, a VPC with two tiers can lose one): a missing ownership check
would then change rows, not just answer the wrong status.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import F, Model

from alerts.models import AlertSettings
from api.actions import create_token
from api.models import ApiToken
from network.actions import add_tier, create_vpc
from network.models import Tier, Vpc
from portal.models import Account, AuditEvent, User
from tests.hostile.watch import CANARY
from vpn.actions import create_connection, create_gateway, save_customer_gateway
from vpn.models import CustomerGateway, VpnConnection, VpnGateway

TENANT_APPS = ("portal", "network", "vpn", "api", "alerts")
# Columns that change when a row is only read (a token's use), left out of the checksums.
READ_STAMPS = {"api_apitoken": "last_used"}
VPC_CIDR = "10.1.0.0/16"

# The path segment before a URL kwarg names what the kwarg identifies ("vpcs/<int:pk>/").
# A route whose segment is missing here cannot be filled, and fails the isolation matrix.
COLLECTIONS = {
    "vpcs": "vpcs",
    "tiers": "tiers",
    "customer-gateways": "customer_gateways",
    "vpn-gateways": "gateways",
    "vpn-connections": "connections",
    "api-tokens": "api_tokens",
}


@dataclass
class World:
    """One tenant: its account, a user, and its objects (each list from busiest to idlest)."""

    tag: str
    account: Account
    user: User
    vpcs: list[Vpc]  # with a gateway and a connection, with an idle gateway, bare
    tiers: list[Tier]  # both tiers of the first VPC (so one can be deleted)
    customer_gateways: list[CustomerGateway]  # connected, idle
    gateways: list[VpnGateway]  # with a connection, idle
    connections: list[VpnConnection]
    api_tokens: list[ApiToken]

    def objects(self, collection: str) -> list[Model] | None:
        attribute = COLLECTIONS.get(collection)
        return None if attribute is None else getattr(self, attribute)


def cgw_with_canary(
    account: Account, name: str, ip: str, cidrs: str, **extra: Any
) -> CustomerGateway:
    """A customer gateway, as every one of the hostile suite: keyed with the canary."""
    return save_customer_gateway(
        CustomerGateway(name=name, gateway_ip=ip, cidr_list=cidrs, **extra),
        account=account,
        psk=CANARY,
    )


def build_world(tag: str, ip_base: int) -> World:
    """A tenant named `tag` (its names all contain it); needs three free pool addresses and a
    live network node."""
    account = Account.objects.create(name=tag)
    user = User.objects.create_user(username=f"{tag}-user", password="pw", account=account)
    vpcs = [
        create_vpc(
            account=account,
            name=f"{tag}-{kind}",
            cidr=VPC_CIDR,
            tier_name="web",
            tier_cidr="10.1.1.0/24",
        )
        for kind in ("main", "idle", "bare")
    ]
    add_tier(vpc=vpcs[0], name="db", cidr="10.1.2.0/24")
    gateways = [create_gateway(vpcs[0])[0], create_gateway(vpcs[1])[0]]
    customer_gateways = [
        cgw_with_canary(account, f"{tag}-hq", f"203.0.113.{ip_base}", "192.168.10.0/24"),
        cgw_with_canary(account, f"{tag}-branch", f"203.0.113.{ip_base + 1}", "192.168.20.0/24"),
    ]
    connections = [create_connection(gateways[0], customer_gateways[0], passive=False)]
    # Alert settings, so that a route that wrote another account's would change rows.
    AlertSettings.objects.create(account=account, email_enabled=True, emails=[f"{tag}@example.com"])
    return World(
        tag=tag,
        account=account,
        user=user,
        vpcs=vpcs,
        tiers=list(vpcs[0].tiers.order_by("cidr")),
        customer_gateways=customer_gateways,
        gateways=gateways,
        connections=connections,
        api_tokens=[create_token(user=user, name=f"{tag}-token")[0]],
    )


def erase_worlds(*worlds: World) -> None:
    accounts = [world.account.pk for world in worlds]
    # The actions that built the worlds were audited; the log outlives accounts (SET_NULL), so
    # its rows go first, or later tests would read them as their own.
    AuditEvent.objects.filter(account__in=accounts).delete()
    AuditEvent.objects.filter(actor__account__in=accounts).delete()
    VpnConnection.objects.filter(gateway__vpc__account__in=accounts).delete()
    VpnGateway.objects.filter(vpc__account__in=accounts).delete()
    CustomerGateway.objects.filter(account__in=accounts).delete()
    Vpc.objects.filter(account__in=accounts).delete()  # tiers and routers go with them
    User.objects.filter(account__in=accounts).delete()
    Account.objects.filter(pk__in=accounts).delete()


def hostile_body(world: World) -> dict[str, str]:
    """A request body naming `world`'s objects, valid for every form of the portal: should a
    view skip its ownership check, the action goes through and rows change."""
    return {
        "customer_gateway": str(world.customer_gateways[-1].pk),
        "vpc": str(world.vpcs[-1].pk),
        "gateway": str(world.gateways[-1].pk),
        "connection": str(world.connections[0].pk),
        "passive": "on",
        "name": "hostile",
        "description": "hostile",
        "cidr": "10.1.200.0/24",
        "tier_name": "hostile",
        "tier_cidr": "10.1.200.0/24",
        "gateway_ip": "203.0.113.99",
        "cidr_list": "192.168.99.0/24",
        "psk": CANARY,
        "ike_encryption": "aes256",
        "ike_integrity": "sha256",
        "ike_dh": "modp2048",
        "esp_encryption": "aes256",
        "esp_integrity": "sha256",
        "esp_pfs": "modp2048",
        "ike_lifetime": "86400",
        "esp_lifetime": "3600",
        "dpd_enabled": "on",
        "dpd_delay": "10",
        "dpd_timeout": "30",
        "ike_version": "ikev2",
    }


# -- snapshots ---------------------------------------------------------------------------------


def tenant_tables() -> set[str]:
    return {
        model._meta.db_table
        for label in TENANT_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }


def snapshot() -> dict[str, tuple[int, str]]:
    """Row count of every table, and a checksum of every row of the tenant tables."""
    quote = connection.ops.quote_name
    tenant = tenant_tables()
    selects = []
    for table in sorted(connection.introspection.table_names()):
        row = "t::text"
        if table in READ_STAMPS:
            row = f"(to_jsonb(t) - '{READ_STAMPS[table]}')::text"
        checksum = (
            f"md5(coalesce(string_agg({row}, '|' ORDER BY {row}), ''))" if table in tenant else "''"
        )
        # Table names from the database's own catalogue, quoted: nothing from a request.
        selects.append(f"SELECT '{table}', count(*), {checksum} FROM {quote(table)} t")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects))
        return {table: (count, checksum) for table, count, checksum in cursor.fetchall()}


def changes(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    changed = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, (0, "")), after.get(table, (0, ""))
        if old[0] != new[0]:
            changed.append(f"{table}: {old[0]} -> {new[0]} rows")
        elif old[1] != new[1]:
            changed.append(f"{table}: rows changed")
    return changed


def rows_joining_accounts() -> list[str]:
    """Rows whose two ends belong to different accounts (a VPN connection from one account's
    gateway to another's customer gateway would hand over the other's key)."""
    joined = VpnConnection.objects.exclude(
        customer_gateway__account=F("gateway__vpc__account")
    ).values_list("pk", flat=True)
    return [f"vpn connection {pk}" for pk in joined]


def tenant_rows(account: Account) -> str:
    """A digest of every row that belongs to `account` (through each model's `tenant_path`)."""
    parts: list[object] = [list(Account.objects.filter(pk=account.pk).values())]
    parts.append(list(User.objects.filter(account=account).order_by("pk").values()))
    for label in TENANT_APPS:
        for model in apps.get_app_config(label).get_models():
            path = getattr(model, "tenant_path", None)
            if path:
                rows = model._default_manager.filter(**{path: account}).order_by("pk")
                parts.append((model._meta.label, list(rows.values())))
    return hashlib.sha256(repr(parts).encode()).hexdigest()
