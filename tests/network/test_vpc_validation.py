"""VPC and tier forms refuse public, overlapping and out-of-range networks with a clear message."""

import pytest
from django.urls import reverse

from network.models import PublicIp, Tier, Vpc

VALID = {
    "name": "prod",
    "description": "",
    "cidr": "10.1.0.0/16",
    "tier_name": "web",
    "tier_cidr": "10.1.1.0/24",
    "tier_gateway": "",
}

BAD_VPCS = [
    ({"cidr": "8.8.0.0/16"}, "is not a private range"),
    ({"cidr": "10.1.0.1/16"}, "has host bits set"),
    ({"cidr": "10.1.0.0"}, "is not a CIDR"),
    ({"cidr": "10.300.0.0/16"}, "is not a valid IPv4 CIDR"),
    ({"cidr": "fd00::/48"}, "is not IPv4"),
    ({"tier_cidr": "10.2.1.0/24"}, "is outside the VPC CIDR"),
    ({"tier_cidr": "10.1.1.0/30"}, "at least a /29"),
    ({"tier_gateway": "10.1.2.1"}, "must be a host address inside"),
    ({"tier_gateway": "10.1.1.0"}, "must be a host address inside"),
    ({"name": ""}, "This field is required"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "message"), BAD_VPCS)
def test_it_refuses_a_bad_vpc_with_a_clear_message(alice_client, pool, change, message) -> None:
    response = alice_client.post(reverse("network:vpc-create"), {**VALID, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Vpc.objects.exists()
    assert not PublicIp.objects.filter(router__isnull=False).exists()


@pytest.mark.django_db
def test_it_refuses_an_overlapping_tier(alice_client, vpc) -> None:
    url = reverse("network:tier-add", args=[vpc.pk])
    response = alice_client.post(url, {"name": "app", "cidr": "10.1.1.128/25"})
    assert "overlaps tier web" in response.content.decode()
    assert vpc.tiers.count() == 1


@pytest.mark.django_db
def test_it_adds_a_tier_with_the_first_host_as_gateway(alice_client, vpc) -> None:
    response = alice_client.post(
        reverse("network:tier-add", args=[vpc.pk]), {"name": "app", "cidr": "10.1.2.0/24"}
    )
    assert response.status_code == 302
    assert Tier.objects.get(vpc=vpc, name="app").gateway == "10.1.2.1"


@pytest.mark.django_db
def test_it_refuses_a_duplicate_vpc_name(alice_client, vpc) -> None:
    response = alice_client.post(
        reverse("network:vpc-create"), {**VALID, "cidr": "10.9.0.0/16", "tier_cidr": "10.9.1.0/24"}
    )
    assert "already have a VPC with this name" in response.content.decode()
    assert Vpc.objects.count() == 1


@pytest.mark.django_db
def test_it_keeps_the_last_tier(alice_client, vpc) -> None:
    tier = vpc.tiers.get()
    response = alice_client.post(
        reverse("network:tier-delete", args=[vpc.pk, tier.pk]), follow=True
    )
    assert "keeps at least one tier" in response.content.decode()
    assert vpc.tiers.count() == 1
