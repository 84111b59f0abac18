"""List pages cost the same number of queries whatever their number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.vpn.conftest import make_cgw
from vpn.models import VpnConnection


def _add(gateway, account, start: int, count: int) -> None:  # type: ignore[no-untyped-def]
    account.customer_gateway_quota = account.connection_quota = 300  # a large account
    account.save()
    for n in range(start, start + count):
        cgw = make_cgw(
            account,
            name=f"cg-{n}",
            ip=f"203.0.{113 if n < 250 else 114}.{n % 250 + 1}",
            cidrs=f"172.{16 + n // 256}.{n % 256}.0/24",
        )
        VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)


def _count(client, url: str, **params: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_it_keeps_the_connection_tab_flat_from_2_to_200(alice_client, alice, gateway) -> None:
    url = reverse("vpn:gateway-detail", args=[gateway.pk])
    _add(gateway, alice.account, 0, 2)
    few = _count(alice_client, url, tab="connections")
    _add(gateway, alice.account, 2, 198)
    assert _count(alice_client, url, tab="connections") == few


@pytest.mark.django_db
def test_it_keeps_the_customer_gateway_and_connection_lists_flat(
    alice_client, alice, gateway
) -> None:
    _add(gateway, alice.account, 0, 2)
    before = [
        _count(alice_client, reverse(n))
        for n in ("vpn:customer-gateway-list", "vpn:connection-list")
    ]
    _add(gateway, alice.account, 2, 60)
    after = [
        _count(alice_client, reverse(n))
        for n in ("vpn:customer-gateway-list", "vpn:connection-list")
    ]
    assert after == before
