"""Every VPN URL of another account is a 404; GET on an action URL never acts."""

import pytest
from django.urls import reverse

from vpn.models import CustomerGateway, VpnConnection, VpnGateway


@pytest.fixture
def owned(gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)


def _urls(connection):  # type: ignore[no-untyped-def]
    g, c, vpc = connection.gateway, connection.customer_gateway, connection.gateway.vpc
    return [
        reverse("vpn:gateway-create", args=[vpc.pk]),
        reverse("vpn:gateway-detail", args=[g.pk]),
        reverse("vpn:gateway-detail", args=[g.pk]) + "?tab=connections&fragment=connections",
        reverse("vpn:gateway-delete", args=[g.pk]),
        reverse("vpn:connection-add", args=[g.pk]),
        reverse("vpn:connection-reset", args=[connection.pk]),
        reverse("vpn:connection-delete", args=[connection.pk]),
        reverse("vpn:customer-gateway-edit", args=[c.pk]),
        reverse("vpn:customer-gateway-delete", args=[c.pk]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_it_returns_404_to_another_account_everywhere(charlie_client, owned, htmx) -> None:
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    pages = {reverse("vpn:gateway-detail", args=[owned.gateway.pk])}  # GET only: POST is a 405
    for url in _urls(owned):
        assert charlie_client.get(url, **headers).status_code == 404, url
        data = {"customer_gateway": owned.customer_gateway.pk}
        posted = charlie_client.post(url, data, **headers)
        assert posted.status_code == (405 if url.split("?")[0] in pages else 404), url
    assert VpnConnection.objects.filter(pk=owned.pk, state="pending").exists()
    assert VpnGateway.objects.count() == 1 and CustomerGateway.objects.count() == 1


@pytest.mark.django_db
def test_it_lists_nothing_of_another_account(charlie_client, owned) -> None:
    for name in ("vpn:customer-gateway-list", "vpn:connection-list"):
        page = charlie_client.get(reverse(name)).content.decode()
        # ">hq<" as rendered text: a bare "hq" can occur inside a random CSRF token or nonce
        assert f">{owned.customer_gateway.name}<" not in page
        assert owned.customer_gateway.gateway_ip not in page


@pytest.mark.django_db
def test_it_offers_only_own_customer_gateways_in_the_add_dialog(
    alice_client, gateway, charlie
) -> None:
    from tests.vpn.conftest import make_cgw

    foreign = make_cgw(charlie.account, name="foreign", ip="203.0.113.99")
    url = reverse("vpn:connection-add", args=[gateway.pk])
    assert "foreign" not in alice_client.get(url).content.decode()
    response = alice_client.post(url, {"customer_gateway": foreign.pk})
    assert "Select a valid choice" in response.content.decode()
    assert not VpnConnection.objects.exists()


@pytest.mark.django_db
def test_it_never_acts_on_get(alice_client, owned) -> None:
    for url in _urls(owned):
        alice_client.get(url)
    owned.refresh_from_db()
    assert owned.state == "pending" and owned.state_reason == ""
    assert VpnConnection.objects.count() == 1 and VpnGateway.objects.count() == 1
    assert CustomerGateway.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_other_methods_on_actions(alice_client, owned) -> None:
    for url in _urls(owned):
        assert alice_client.put(url).status_code == 405, url
        assert alice_client.delete(url).status_code == 405, url
