"""A world for the operators' metrics: three nodes (one up, one silent and draining, one that
never heartbeat and is disabled), four routers in several states (one not placed), and
connections in every state, two of them refused by charon (an operator_detail)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from network.actions import create_vpc
from network.models import NetworkNode, Router, Vpc
from portal.models import Account
from tests.vpn.conftest import make_cgw
from vpn.actions import create_gateway
from vpn.models import VpnConnection
from vpn.models.gateways import VpnGateway

TOKEN = "scrape-me-0123456789"


@dataclass
class World:
    nodes: dict[str, NetworkNode]
    routers: dict[str, Router]  # by VPC name
    connections: list[VpnConnection]


def _vpc(account: Account, name: str, second_octet: int) -> Vpc:
    return create_vpc(
        account=account,
        name=name,
        cidr=f"10.{second_octet}.0.0/16",
        tier_name="web",
        tier_cidr=f"10.{second_octet}.1.0/24",
    )


def _connections(
    gateway: VpnGateway, account: Account, states: list[str], first: int
) -> list[VpnConnection]:
    made = []
    for n, state in enumerate(states, start=first):
        cgw = make_cgw(
            account,
            name=f"{gateway.vpc.name}-site-{n}",
            ip=f"203.0.113.{20 + n}",
            cidrs=f"192.168.{20 + n}.0/24",
        )
        connection = VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
        VpnConnection.objects.filter(pk=connection.pk).update(state=state)
        made.append(connection)
    return made


@pytest.fixture
def world(acme, globex, pool, live_node) -> World:  # type: ignore[no-untyped-def]
    now = timezone.now()
    NetworkNode.objects.filter(pk=live_node.pk).update(capacity=50, running_routers=[1, 2])
    silent = NetworkNode.objects.create(
        name="unit-b", last_heartbeat=now - timedelta(minutes=5), draining=True, capacity=7
    )
    NetworkNode.objects.create(name="unit-c", enabled=False)
    vpcs = {
        "prod": _vpc(acme, "prod", 1),
        "test": _vpc(acme, "test", 2),
        "erp": _vpc(globex, "erp", 3),
        "lab": _vpc(globex, "lab", 4),
    }
    placement = {
        "prod": (live_node, "running", ""),
        "test": (live_node, "failed", "charon died 5 times within 120 s"),
        "erp": (silent, "unreachable", "node unit-b stopped heartbeating"),
        "lab": (None, "unscheduled", ""),
    }
    for name, (node, state, reason) in placement.items():
        Router.objects.filter(vpc=vpcs[name]).update(node=node, state=state, state_reason=reason)
    states = {
        "prod": ["connected", "connected", "connecting", "error"],
        "test": ["error", "pending"],
        "erp": ["disconnected", "error", "connected"],
        "lab": ["pending"],
    }
    connections = []
    for name, wanted in states.items():
        gateway = create_gateway(vpcs[name])[0]
        connections += _connections(gateway, vpcs[name].account, wanted, len(connections))
    refused = [c.pk for c in connections][3:5]
    VpnConnection.objects.filter(pk__in=refused).update(operator_detail="no proposal chosen")
    return World(
        nodes={node.name: node for node in NetworkNode.objects.all()},
        routers={name: Router.objects.get(vpc=vpc) for name, vpc in vpcs.items()},
        connections=connections,
    )


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Client, token: str = TOKEN) -> Samples:
    """The endpoint's samples by (name, labels), as Prometheus's own text parser reads them."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }
