"""/api/v1/customer-gateways/: CRUD, the key write-only, the portal's messages."""

import pytest
from django.urls import reverse

from api.serializers import CUSTOMER_GATEWAY_FIELDS, CustomerGatewayInput
from tests.api.portal_errors import portal_errors
from tests.vpn.conftest import PSK
from vpn.models import CustomerGateway

pytestmark = pytest.mark.django_db

NEW = {
    "name": "branch",
    "gateway_ip": "203.0.113.20",
    "cidr_list": "192.168.20.0/24",
    "psk": "An0ther-Secret-Key",
}
# The portal's form posts every field; the API takes the model's defaults for the rest.
PORTAL_DEFAULTS = {
    "ike_encryption": "aes256",
    "ike_integrity": "sha256",
    "ike_dh": "modp2048",
    "esp_encryption": "aes256",
    "esp_integrity": "sha256",
    "esp_pfs": "modp2048",
    "ike_lifetime": 86400,
    "esp_lifetime": 3600,
    "dpd_enabled": True,
    "dpd_delay": 5,
    "dpd_timeout": 30,
    "ike_version": "ikev2",
}


def test_it_takes_every_field_a_tenant_sets() -> None:
    assert set(CUSTOMER_GATEWAY_FIELDS) | {"psk"} == set(CustomerGatewayInput().fields)


def test_it_creates_a_customer_gateway_with_the_models_defaults(api, alice) -> None:  # type: ignore[no-untyped-def]
    response = api.post(reverse("api:customer-gateway-list"), NEW, format="json")
    assert response.status_code == 201, response.json()
    cgw = CustomerGateway.objects.get(pk=response.json()["id"])
    assert cgw.account == alice.account
    assert cgw.get_psk() == NEW["psk"]
    assert (cgw.dpd_enabled, cgw.ike_lifetime) == (True, 86400)


def test_it_never_returns_the_key(api, cgw) -> None:  # type: ignore[no-untyped-def]
    response = api.get(reverse("api:customer-gateway-detail", args=[cgw.pk]))
    assert PSK not in response.content.decode()
    assert "psk" not in response.json()
    assert response.json()["psk_masked"] == cgw.psk_masked


def test_it_stores_the_identities(api) -> None:  # type: ignore[no-untyped-def]
    data = {**NEW, "local_id_type": "fqdn", "local_id": "vpn.example.com", "remote_id": "10.9.9.9"}
    response = api.post(reverse("api:customer-gateway-list"), data, format="json")
    assert response.status_code == 201, response.json()
    cgw = CustomerGateway.objects.get(pk=response.json()["id"])
    assert (cgw.local_id_type, cgw.local_id, cgw.remote_id) == (
        "fqdn",
        "vpn.example.com",
        "10.9.9.9",
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"psk": ""},
        {"psk": "short"},
        {"gateway_ip": "10.0.0.1"},
        {"gateway_ip": "nonsense"},
        {"cidr_list": "192.168.20.0/33"},
        {"ike_lifetime": 10},
        {"dpd_delay": 30, "dpd_timeout": 10},
        {"ike_version": "ikev1", "split_connections": True},
        {"ike_encryption": "rot13"},
        {"esp_encryption": "aes256", "esp_integrity": ""},
        {"ike_lifetime": "soon"},
    ],
    ids=str,
)
def test_it_refuses_bad_input_with_the_portals_messages(api, alice_client, bad) -> None:  # type: ignore[no-untyped-def]
    data = {**NEW, **bad}
    response = api.post(reverse("api:customer-gateway-list"), data, format="json")
    assert response.status_code == 400
    url = reverse("vpn:customer-gateway-create")
    assert response.json() == portal_errors(alice_client, url, {**PORTAL_DEFAULTS, **data})
    assert not CustomerGateway.objects.exists()


def test_it_refuses_a_duplicate_name_with_the_portals_message(api, alice_client, cgw) -> None:  # type: ignore[no-untyped-def]
    data = {**NEW, "name": cgw.name}
    response = api.post(reverse("api:customer-gateway-list"), data, format="json")
    assert response.status_code == 400
    url = reverse("vpn:customer-gateway-create")
    assert response.json() == portal_errors(alice_client, url, {**PORTAL_DEFAULTS, **data})


def test_it_answers_409_with_the_reason_when_the_quota_is_reached(api, alice, cgw) -> None:  # type: ignore[no-untyped-def]
    alice.account.customer_gateway_quota = 1
    alice.account.save()
    response = api.post(reverse("api:customer-gateway-list"), NEW, format="json")
    assert response.status_code == 409
    assert "1 of 1 customer gateways" in response.json()["detail"]


def test_it_changes_only_the_fields_given_and_keeps_the_key(api, cgw) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:customer-gateway-detail", args=[cgw.pk])
    response = api.patch(url, {"name": "renamed", "esp_pfs": "ecp256"}, format="json")
    assert response.status_code == 200, response.json()
    cgw.refresh_from_db()
    assert (cgw.name, cgw.esp_pfs, cgw.gateway_ip) == ("renamed", "ecp256", "203.0.113.10")
    assert cgw.get_psk() == PSK


def test_it_replaces_the_key_when_one_is_given(api, cgw) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:customer-gateway-detail", args=[cgw.pk])
    assert api.patch(url, {"psk": "Brand-New-Key-1"}, format="json").status_code == 200
    cgw.refresh_from_db()
    assert cgw.get_psk() == "Brand-New-Key-1"


def test_it_refuses_a_bad_change_with_the_portals_message(api, cgw) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:customer-gateway-detail", args=[cgw.pk])
    response = api.patch(url, {"gateway_ip": "127.0.0.1"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["gateway_ip"]
    cgw.refresh_from_db()
    assert cgw.gateway_ip == "203.0.113.10"


def test_it_deletes_an_idle_customer_gateway(api, cgw) -> None:  # type: ignore[no-untyped-def]
    assert api.delete(reverse("api:customer-gateway-detail", args=[cgw.pk])).status_code == 204
    assert not CustomerGateway.objects.filter(pk=cgw.pk).exists()


def test_it_refuses_to_delete_one_in_use(api, connection) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:customer-gateway-detail", args=[connection.customer_gateway_id])
    response = api.delete(url)
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Customer gateway hq is used by VPN connections (VPC prod); delete those connections first."
    )


def test_it_answers_404_for_another_accounts_customer_gateway(charlie_api, cgw) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:customer-gateway-detail", args=[cgw.pk])
    assert charlie_api.get(url).status_code == 404
    assert charlie_api.patch(url, {"name": "mine"}, format="json").status_code == 404
    assert charlie_api.delete(url).status_code == 404
    cgw.refresh_from_db()
    assert cgw.name == "hq"
