"""The VPC list costs the same number of queries for 2 VPCs as for 100."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from network.models import PublicIp, Router, Tier, Vpc


def _make_vpcs(account, count: int) -> None:  # type: ignore[no-untyped-def]
    start = Vpc.objects.count()
    for n in range(start, start + count):
        vpc = Vpc.objects.create(account=account, name=f"vpc-{n}", cidr=f"10.{n}.0.0/16")
        Tier.objects.create(vpc=vpc, name="web", cidr=f"10.{n}.1.0/24", gateway=f"10.{n}.1.1")
        ip = PublicIp.objects.create(address=f"198.51.100.{n + 1}")
        Router.objects.create(vpc=vpc, source_nat_ip=ip)


def _queries(client) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("network:vpc-list"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_it_does_not_grow_queries_with_vpcs(alice_client, alice) -> None:
    _make_vpcs(alice.account, 2)
    few = _queries(alice_client)
    _make_vpcs(alice.account, 98)
    assert Vpc.objects.count() == 100
    assert _queries(alice_client) == few


@pytest.mark.django_db
def test_it_shows_vpcs_fifty_a_page_with_links_between_pages(alice_client, alice) -> None:
    _make_vpcs(alice.account, 51)  # names vpc-0 … vpc-50
    first = alice_client.get(reverse("network:vpc-list")).content.decode()
    assert first.count('class="status status-') == 2 * 50  # a VPC state and a router state a row
    assert "Page 1 of 2" in first
    assert 'href="?page=2"' in first
    second = alice_client.get(reverse("network:vpc-list"), {"page": "2"}).content.decode()
    assert second.count('class="status status-') == 2
    assert 'href="?page=1"' in second
    # A page number that is not one shows the last or first page, never an error.
    assert alice_client.get(reverse("network:vpc-list"), {"page": "99"}).status_code == 200
    assert alice_client.get(reverse("network:vpc-list"), {"page": "x"}).status_code == 200
