"""Adding a connection costs as many queries at 50 connections on the VPN gateway as at 5: the
action, the portal's Add and the API's (vpn/rules.py asks the database for the few customer
gateways that may clash instead of reading every connection)."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.api.conftest import bearer, token_for
from vpn import crypto
from vpn.actions import create_connection
from vpn.models import CustomerGateway, VpnConnection

pytestmark = pytest.mark.django_db

Add = Callable[[CustomerGateway], None]


@pytest.fixture
def cgws(settings, alice, gateway) -> list[CustomerGateway]:  # type: ignore[no-untyped-def]
    """60 customer gateways of alice's, none connected yet; room for them all."""
    settings.PORTAL = {**settings.PORTAL, "MAX_CONNECTIONS_PER_GATEWAY": 100}
    settings.PORTAL_RATE_LIMIT = ""
    alice.account.customer_gateway_quota = alice.account.connection_quota = 100
    alice.account.save()
    key = crypto.encrypt("Bulk-Made-Key-1")
    return CustomerGateway.objects.bulk_create(
        CustomerGateway(
            account=alice.account,
            name=f"cg-{n:02d}",
            gateway_ip=f"203.0.113.{n + 1}",
            cidr_list=f"172.16.{n}.0/24, 172.17.{n}.0/24",
            psk_encrypted=key,
            psk_length=15,
        )
        for n in range(60)
    )


def _connect(gateway, cgws: list[CustomerGateway]) -> None:  # type: ignore[no-untyped-def]
    VpnConnection.objects.bulk_create(
        VpnConnection(gateway=gateway, customer_gateway=cgw) for cgw in cgws
    )


def _queries(add: Add, cgw: CustomerGateway) -> int:
    with CaptureQueriesContext(connection) as ctx:
        add(cgw)
    return len(ctx.captured_queries)


@pytest.fixture(params=["action", "portal", "api"])
def add(request, gateway, alice, alice_client) -> Add:  # type: ignore[no-untyped-def]
    """One more connection, as the action, the portal's Add dialog or the API makes it."""
    portal_url = reverse("vpn:connection-add", args=[gateway.pk])
    api, api_url = bearer(token_for(alice)), f"/api/v1/vpn-gateways/{gateway.pk}/connections/"

    def by_action(cgw: CustomerGateway) -> None:
        create_connection(gateway, cgw, passive=False)

    def in_portal(cgw: CustomerGateway) -> None:
        response = alice_client.post(portal_url, {"customer_gateway": cgw.pk})
        assert response.status_code == 302, response.content[:500]

    def by_api(cgw: CustomerGateway) -> None:
        response = api.post(api_url, {"customer_gateway": cgw.pk}, format="json")
        assert response.status_code == 201, response.content[:500]

    return {"action": by_action, "portal": in_portal, "api": by_api}[request.param]


def test_it_adds_with_as_many_queries_at_50_connections_as_at_5(gateway, cgws, add) -> None:
    _connect(gateway, cgws[:5])
    add(cgws[5])  # caches (the crypto policy, content types) filled
    few = _queries(add, cgws[6])
    _connect(gateway, cgws[7:50])
    assert gateway.connections.count() == 50
    assert _queries(add, cgws[50]) == few
    assert gateway.connections.count() == 51
