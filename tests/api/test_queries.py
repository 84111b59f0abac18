"""The list endpoints cost the same number of queries whatever their number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from network.actions import create_vpc
from tests.vpn.test_portal_queries import _add
from vpn.actions import create_gateway

pytestmark = pytest.mark.django_db

LISTS = ["api:vpc-list", "api:customer-gateway-list", "api:gateway-list", "api:connection-list"]


def _counts(api, gateway) -> list[int]:  # type: ignore[no-untyped-def]
    """Per list; the token's last use is written before (at most once a minute, see
    api/authentication.py), so it is not counted."""
    api.get(reverse("api:device-list"))
    counts = []
    for url in [*map(reverse, LISTS), reverse("api:gateway-connections", args=[gateway.pk])]:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    return counts


def _more_vpcs(account, count: int) -> None:  # type: ignore[no-untyped-def]
    for n in range(count):
        vpc = create_vpc(
            account=account,
            name=f"v{n}",
            cidr="10.9.0.0/16",
            tier_name="t",
            tier_cidr="10.9.1.0/24",
        )
        create_gateway(vpc)


def test_it_keeps_the_lists_flat_from_a_few_rows_to_a_full_page(api, alice, gateway, pool) -> None:  # type: ignore[no-untyped-def]
    alice.account.vpc_quota = 20
    alice.account.save()
    _add(gateway, alice.account, 0, 2)
    few = _counts(api, gateway)
    _add(gateway, alice.account, 2, 60)
    _more_vpcs(alice.account, 5)
    assert _counts(api, gateway) == few


def test_it_pins_the_queries_of_a_list(api, alice, gateway) -> None:  # type: ignore[no-untyped-def]
    """The token (one), then the page (one); a gateway's connections look the gateway up."""
    _add(gateway, alice.account, 0, 2)
    assert _counts(api, gateway) == [2, 2, 2, 2, 3]
