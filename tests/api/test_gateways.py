"""/api/v1/vpcs/{id}/vpn-gateway/ and /api/v1/vpn-gateways/: the confirm dialog's action
(idempotent), the gateway's detail and its delete."""

import pytest
from django.urls import reverse

from vpn.models import VpnGateway

pytestmark = pytest.mark.django_db


def test_it_creates_the_gateway_once_then_answers_200_with_it(api, vpc) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:vpc-vpn-gateway", args=[vpc.pk])
    first, again = api.post(url), api.post(url)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["public_ip"] == vpc.router.public_ip
    assert VpnGateway.objects.filter(vpc=vpc).count() == 1


def test_it_answers_404_for_the_gateway_of_a_vpc_without_one(api, vpc) -> None:  # type: ignore[no-untyped-def]
    response = api.get(reverse("api:vpc-vpn-gateway", args=[vpc.pk]))
    assert response.status_code == 404
    assert response.json() == {"detail": "This VPC has no VPN gateway."}


def test_it_shows_the_gateway_by_vpc_and_by_id(api, gateway) -> None:  # type: ignore[no-untyped-def]
    by_vpc = api.get(reverse("api:vpc-vpn-gateway", args=[gateway.vpc_id])).json()
    assert by_vpc == api.get(reverse("api:gateway-detail", args=[gateway.pk])).json()
    assert by_vpc["router_health"] == gateway.vpc.router.tenant_message


def test_it_lists_the_accounts_gateways(api, gateway) -> None:  # type: ignore[no-untyped-def]
    rows = api.get(reverse("api:gateway-list")).json()["results"]
    assert [row["id"] for row in rows] == [gateway.pk]


def test_it_refuses_to_delete_a_gateway_with_connections(api, connection) -> None:  # type: ignore[no-untyped-def]
    response = api.delete(reverse("api:gateway-detail", args=[connection.gateway_id]))
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The VPN gateway still has 1 connection(s); delete them first."
    }


def test_it_deletes_an_idle_gateway(api, gateway) -> None:  # type: ignore[no-untyped-def]
    assert api.delete(reverse("api:vpc-vpn-gateway", args=[gateway.vpc_id])).status_code == 204
    assert not VpnGateway.objects.exists()


def test_it_answers_404_for_another_accounts_vpc_or_gateway(charlie_api, gateway) -> None:  # type: ignore[no-untyped-def]
    by_vpc = reverse("api:vpc-vpn-gateway", args=[gateway.vpc_id])
    by_id = reverse("api:gateway-detail", args=[gateway.pk])
    answers = [
        charlie_api.get(by_vpc),
        charlie_api.post(by_vpc),
        charlie_api.delete(by_vpc),
        charlie_api.get(by_id),
        charlie_api.delete(by_id),
    ]
    assert [response.status_code for response in answers] == [404] * 5
    assert VpnGateway.objects.filter(pk=gateway.pk).exists()
