"""The customer gateway form takes both IKE identities; the model's rule judges them."""

import pytest
from django.urls import reverse

from tests.vpn.test_portal_bad_input import GOOD
from vpn.models import CustomerGateway

FQDNS = {
    "remote_id_type": "fqdn",
    "remote_id": "@sun.strongswan.org",
    "local_id_type": "fqdn",
    "local_id": " moon.strongswan.org ",
}


@pytest.mark.django_db
def test_it_stores_both_identities_normalised(alice_client, alice) -> None:
    response = alice_client.post(reverse("vpn:customer-gateway-create"), {**GOOD, **FQDNS})
    assert response.status_code == 302
    cgw = CustomerGateway.objects.get(account=alice.account)
    assert (cgw.remote_id_type, cgw.remote_id) == ("fqdn", "sun.strongswan.org")
    assert (cgw.local_id_type, cgw.local_id) == ("fqdn", "moon.strongswan.org")


@pytest.mark.django_db
def test_it_keeps_the_public_ips_when_the_identities_are_left_out(alice_client, alice) -> None:
    alice_client.post(reverse("vpn:customer-gateway-create"), GOOD)
    cgw = CustomerGateway.objects.get(account=alice.account)
    assert (cgw.remote_id_type, cgw.remote_id, cgw.local_id_type, cgw.local_id) == (
        "ip",
        "",
        "ip",
        "",
    )


@pytest.mark.django_db
def test_it_shows_a_mismatched_identity_next_to_its_field(alice_client, alice) -> None:
    data = {**GOOD, "remote_id_type": "ip", "remote_id": "sun.strongswan.org"}
    response = alice_client.post(reverse("vpn:customer-gateway-create"), data)
    assert response.status_code == 422
    assert response.context["form"].errors["remote_id"] == [
        '"sun.strongswan.org" is not an IP address. Choose Domain name (FQDN) for it.'
    ]
    assert not CustomerGateway.objects.filter(account=alice.account).exists()


@pytest.mark.django_db
def test_it_lists_a_chosen_identity(alice_client, alice) -> None:
    alice_client.post(reverse("vpn:customer-gateway-create"), {**GOOD, **FQDNS})
    page = alice_client.get(reverse("vpn:customer-gateway-list")).content.decode()
    assert "IKE identity: sun.strongswan.org; ours: moon.strongswan.org" in page


@pytest.mark.django_db
def test_it_refuses_in_the_admin_the_identity_the_portal_refuses(client, alice, django_user_model):  # type: ignore[no-untyped-def]
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    fields = {key: value for key, value in GOOD.items() if key != "psk"}
    data = {**fields, "new_psk": "Admin-Chosen-Key", "account": alice.account.pk}
    data.update(remote_id_type="email", remote_id="sun.strongswan.org")
    response = client.post(reverse("admin:vpn_customergateway_add"), data)
    assert "is not an email address" in response.content.decode()
    assert not CustomerGateway.objects.exists()
