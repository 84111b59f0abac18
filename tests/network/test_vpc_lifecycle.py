"""Creating VPCs takes unique Source NAT IPs from the pool; deleting gives them back."""

import pytest
from django.urls import reverse

from network.models import PublicIp, Router, Vpc
from vpn.actions import create_gateway

FORM = {"description": "", "tier_name": "web", "tier_gateway": ""}


@pytest.mark.django_db
def test_it_gives_each_vpc_a_unique_source_nat_ip(alice_client, pool) -> None:
    for n in range(1, 4):
        alice_client.post(
            reverse("network:vpc-create"),
            {**FORM, "name": f"v{n}", "cidr": f"10.{n}.0.0/16", "tier_cidr": f"10.{n}.1.0/24"},
        )
    addresses = list(Router.objects.values_list("source_nat_ip__address", flat=True))
    assert len(addresses) == 3
    assert len(set(addresses)) == 3


@pytest.mark.django_db
def test_it_says_so_when_the_pool_is_empty(alice_client, alice) -> None:
    response = alice_client.post(
        reverse("network:vpc-create"),
        {**FORM, "name": "v", "cidr": "10.1.0.0/16", "tier_cidr": "10.1.1.0/24"},
    )
    assert "No public IP address is free" in response.content.decode()
    assert not Vpc.objects.exists()


@pytest.mark.django_db
def test_it_returns_the_address_to_the_pool_on_delete(alice_client, vpc) -> None:
    address = vpc.router.source_nat_ip.address
    response = alice_client.post(reverse("network:vpc-delete", args=[vpc.pk]))
    assert response.status_code == 302
    assert not Vpc.objects.exists()
    assert PublicIp.objects.get(address=address).in_use is False


@pytest.mark.django_db
def test_it_refuses_to_delete_a_vpc_with_a_vpn_gateway(alice_client, vpc) -> None:
    create_gateway(vpc)
    response = alice_client.post(reverse("network:vpc-delete", args=[vpc.pk]), follow=True)
    assert "still has a VPN gateway attached" in response.content.decode()
    assert Vpc.objects.filter(pk=vpc.pk).exists()


@pytest.mark.django_db
def test_it_walks_from_the_list_to_the_router_section(alice_client, vpc) -> None:
    listing = alice_client.get(reverse("network:vpc-list")).content.decode()
    assert vpc.get_absolute_url() in listing
    detail = alice_client.get(vpc.get_absolute_url()).content.decode()
    configure_url = reverse("network:vpc-configure", args=[vpc.pk])
    assert configure_url in detail
    dashboard = alice_client.get(configure_url).content.decode()
    assert "Tiers" in dashboard and "Router" in dashboard
    assert "Site-to-Site VPN Lists" in dashboard
    assert reverse("vpn:gateway-create", args=[vpc.pk]) in dashboard
