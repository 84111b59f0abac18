"""The Add dialog's answer: with htmx the tab stays and shows the new row in place; without
JavaScript, a redirect to the tab. The message shows once, on the page the tenant is on."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from vpn.models import CustomerGateway, VpnConnection, VpnGateway

ADDED = "VPN connection to hq added."


def _add(client: Client, gateway: VpnGateway, cgw: CustomerGateway, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("vpn:connection-add", args=[gateway.pk]), {"customer_gateway": cgw.pk}, **headers
    )


def _tab(client: Client, gateway: VpnGateway) -> str:
    return client.get(gateway.get_absolute_url(), {"tab": "connections"}).content.decode()


@pytest.mark.django_db
def test_it_answers_htmx_with_the_row_to_refresh_and_the_dialog_to_close(
    alice_client, gateway, cgw
) -> None:
    response = _add(alice_client, gateway, cgw, HTTP_HX_REQUEST="true")
    connection = VpnConnection.objects.get()
    assert response.status_code == 200
    assert "HX-Redirect" not in response
    assert response["HX-Reswap"] == "none"  # the page stays; only the messages swap in
    assert json.loads(response["HX-Trigger"]) == {
        "live-message": {"connection": connection.pk, "gateway": gateway.pk, "state": "pending"}
    }
    assert json.loads(response["HX-Trigger-After-Swap"]) == {"dialog-done": {}}


@pytest.mark.django_db
def test_it_answers_htmx_with_the_message_for_the_open_page_only(
    alice_client, gateway, cgw
) -> None:
    answer = _add(alice_client, gateway, cgw, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="messages"' in answer and 'hx-swap-oob="innerHTML"' in answer
    assert ADDED in answer
    assert ADDED not in _tab(alice_client, gateway)  # shown once, not again on the next page


@pytest.mark.django_db
def test_it_redirects_to_the_tab_without_javascript(alice_client, gateway, cgw) -> None:
    response = _add(alice_client, gateway, cgw)
    assert response.status_code == 302
    assert response["Location"] == gateway.get_absolute_url() + "?tab=connections"
    page = _tab(alice_client, gateway)
    assert ADDED in page
    assert f'id="connection-{VpnConnection.objects.get().pk}"' in page
    assert "hx-swap-oob" not in page
