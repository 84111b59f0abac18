"""/api/v1/vpcs/: the VPC list, create (with its first tier), detail and delete."""

import pytest
from django.urls import reverse

from network.models import Router, Tier, Vpc
from tests.api.portal_errors import portal_errors

pytestmark = pytest.mark.django_db

NEW = {"name": "dev", "cidr": "10.2.0.0/16", "tier_name": "web", "tier_cidr": "10.2.1.0/24"}


def test_it_lists_the_accounts_vpcs(api, vpc) -> None:  # type: ignore[no-untyped-def]
    response = api.get(reverse("api:vpc-list"))
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["prod"]


def test_it_shows_another_account_none_of_them(charlie_api, vpc) -> None:  # type: ignore[no-untyped-def]
    assert charlie_api.get(reverse("api:vpc-list")).json()["results"] == []


def test_it_creates_a_vpc_with_its_first_tier_and_router(api, pool, live_node) -> None:  # type: ignore[no-untyped-def]
    response = api.post(reverse("api:vpc-list"), NEW, format="json")
    assert response.status_code == 201, response.json()
    vpc = Vpc.objects.get(pk=response.json()["id"])
    assert list(vpc.tiers.values_list("cidr", flat=True)) == ["10.2.1.0/24"]
    assert Router.objects.filter(vpc=vpc).exists()
    assert response.json()["public_ip"] == vpc.router.public_ip


@pytest.mark.parametrize(
    "bad",
    [
        {"cidr": "8.8.0.0/16"},
        {"cidr": "nonsense"},
        {"tier_cidr": "10.3.1.0/24"},
        {"tier_gateway": "10.2.9.9"},
        {"name": ""},
        {"name": "x" * 65},
    ],
    ids=str,
)
def test_it_refuses_bad_input_with_the_portals_messages(  # type: ignore[no-untyped-def]
    api, alice_client, pool, live_node, bad
) -> None:
    data = {**NEW, **bad}
    response = api.post(reverse("api:vpc-list"), data, format="json")
    assert response.status_code == 400
    assert response.json() == portal_errors(alice_client, reverse("network:vpc-create"), data)
    assert not Vpc.objects.exists()


def test_it_refuses_a_duplicate_name_with_the_portals_message(api, alice_client, vpc) -> None:  # type: ignore[no-untyped-def]
    data = {**NEW, "name": "prod"}
    response = api.post(reverse("api:vpc-list"), data, format="json")
    assert response.status_code == 400
    assert response.json() == portal_errors(alice_client, reverse("network:vpc-create"), data)


def test_it_answers_409_with_the_reason_when_the_quota_is_reached(api, alice, vpc) -> None:  # type: ignore[no-untyped-def]
    alice.account.vpc_quota = 1
    alice.account.save()
    response = api.post(reverse("api:vpc-list"), NEW, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "You have 1 of 1 VPCs. Delete one or ask your operator for more."
    }


def test_it_shows_a_vpc_with_its_routers_health_sentence(api, vpc) -> None:  # type: ignore[no-untyped-def]
    body = api.get(reverse("api:vpc-detail", args=[vpc.pk])).json()
    assert body["router_health"] == vpc.router.tenant_message
    assert body["tier_count"] == 1 and body["vpn_gateway"] is None


def test_it_answers_404_for_another_accounts_vpc(charlie_api, vpc) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:vpc-detail", args=[vpc.pk])
    assert charlie_api.get(url).status_code == 404
    assert charlie_api.delete(url).status_code == 404
    assert Vpc.objects.filter(pk=vpc.pk).exists()


def test_it_deletes_a_vpc(api, vpc) -> None:  # type: ignore[no-untyped-def]
    assert api.delete(reverse("api:vpc-detail", args=[vpc.pk])).status_code == 204
    assert not Vpc.objects.filter(pk=vpc.pk).exists()


def test_it_refuses_to_delete_a_vpc_with_a_vpn_gateway(api, gateway) -> None:  # type: ignore[no-untyped-def]
    response = api.delete(reverse("api:vpc-detail", args=[gateway.vpc_id]))
    assert response.status_code == 409
    assert response.json() == {
        "detail": "VPC prod still has a VPN gateway attached; remove it first."
    }


def test_it_adds_a_tier(api, vpc) -> None:  # type: ignore[no-untyped-def]
    data = {"name": "db", "cidr": "10.1.2.0/24"}
    response = api.post(reverse("api:tier-list", args=[vpc.pk]), data, format="json")
    assert response.status_code == 201
    assert response.json()["gateway"] == "10.1.2.1"


def test_it_refuses_an_overlapping_tier_with_the_portals_message(api, alice_client, vpc) -> None:  # type: ignore[no-untyped-def]
    data = {"name": "db", "cidr": "10.1.1.128/25"}
    response = api.post(reverse("api:tier-list", args=[vpc.pk]), data, format="json")
    assert response.status_code == 400
    portal = portal_errors(alice_client, reverse("network:tier-add", args=[vpc.pk]), data)
    assert response.json() == portal == {"cidr": ["10.1.1.128/25 overlaps tier web (10.1.1.0/24)."]}


def test_it_lists_a_vpcs_tiers(api, vpc) -> None:  # type: ignore[no-untyped-def]
    response = api.get(reverse("api:tier-list", args=[vpc.pk]))
    assert [tier["name"] for tier in response.json()["results"]] == ["web"]


def test_it_refuses_to_delete_the_last_tier(api, vpc) -> None:  # type: ignore[no-untyped-def]
    tier = vpc.tiers.get()
    response = api.delete(reverse("api:tier-detail", args=[vpc.pk, tier.pk]))
    assert response.status_code == 409
    assert response.json() == {"detail": "A VPC keeps at least one tier; delete the VPC instead."}


def test_it_deletes_a_tier(api, vpc) -> None:  # type: ignore[no-untyped-def]
    second = Tier.objects.create(vpc=vpc, name="db", cidr="10.1.2.0/24", gateway="10.1.2.1")
    assert api.delete(reverse("api:tier-detail", args=[vpc.pk, second.pk])).status_code == 204
    assert not Tier.objects.filter(pk=second.pk).exists()


def test_it_answers_404_for_another_accounts_tiers(charlie_api, vpc) -> None:  # type: ignore[no-untyped-def]
    tier = vpc.tiers.get()
    assert charlie_api.get(reverse("api:tier-list", args=[vpc.pk])).status_code == 404
    assert charlie_api.delete(reverse("api:tier-detail", args=[vpc.pk, tier.pk])).status_code == 404
    data = {"name": "db", "cidr": "10.1.2.0/24"}
    url = reverse("api:tier-list", args=[vpc.pk])
    assert charlie_api.post(url, data, format="json").status_code == 404
    assert vpc.tiers.count() == 1
