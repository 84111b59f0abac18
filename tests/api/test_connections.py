"""/api/v1/vpn-gateways/{id}/connections/ and /api/v1/vpn-connections/: add, list with state
and reason, detail with counters, reset, delete, and the device configuration download."""

import pytest
from django.urls import reverse

from tests.api.portal_errors import portal_errors
from tests.vpn.conftest import PSK, make_cgw
from vpn.device_configs import DEVICES
from vpn.models import VpnConnection

pytestmark = pytest.mark.django_db


def add(api, gateway, **data):  # type: ignore[no-untyped-def]
    return api.post(reverse("api:gateway-connections", args=[gateway.pk]), data, format="json")


def test_it_adds_a_connection_waiting_for_the_router(api, gateway, cgw) -> None:  # type: ignore[no-untyped-def]
    response = add(api, gateway, customer_gateway=cgw.pk, passive=True)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["state_reason"]) == (
        "pending",
        "Waiting for the router to apply it.",
    )
    assert VpnConnection.objects.get(pk=body["id"]).passive


@pytest.mark.parametrize("which", ["missing", "another account's", "already connected"])
def test_it_refuses_a_customer_gateway_it_cannot_take_as_the_portal_does(  # type: ignore[no-untyped-def]
    api, alice_client, gateway, connection, charlie, which
) -> None:
    pk = {
        "missing": 2**31 - 1,
        "another account's": make_cgw(charlie.account, name="theirs").pk,
        "already connected": connection.customer_gateway_id,
    }[which]
    response = add(api, gateway, customer_gateway=pk)
    assert response.status_code == 400
    url = reverse("vpn:connection-add", args=[gateway.pk])
    assert response.json() == portal_errors(alice_client, url, {"customer_gateway": pk})
    assert VpnConnection.objects.count() == 1


def test_it_refuses_a_rule_of_the_gateway_with_the_portals_message(  # type: ignore[no-untyped-def]
    api, alice_client, gateway, connection, alice
) -> None:
    same_networks = make_cgw(alice.account, name="twin", ip="203.0.113.11")
    response = add(api, gateway, customer_gateway=same_networks.pk)
    assert response.status_code == 400
    url = reverse("vpn:connection-add", args=[gateway.pk])
    assert response.json() == portal_errors(
        alice_client, url, {"customer_gateway": same_networks.pk}
    )


def test_it_answers_409_with_the_reason_when_the_quota_is_reached(api, alice, gateway, cgw) -> None:  # type: ignore[no-untyped-def]
    alice.account.connection_quota = 0
    alice.account.save()
    response = add(api, gateway, customer_gateway=cgw.pk)
    assert response.status_code == 409
    assert "0 of 0 VPN connections" in response.json()["detail"]


def test_it_lists_connections_with_state_and_reason(api, connection) -> None:  # type: ignore[no-untyped-def]
    rows = api.get(reverse("api:connection-list")).json()["results"]
    assert [(row["id"], row["state"], row["state_reason"]) for row in rows] == [
        (connection.pk, "pending", "Waiting for the router to apply it.")
    ]


def test_it_filters_connections_by_state_and_vpc(api, connection) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:connection-list")
    VpnConnection.objects.filter(pk=connection.pk).update(state="connected")
    vpc = connection.gateway.vpc_id

    def ids(**query: object) -> list[int]:
        return [row["id"] for row in api.get(url, query).json()["results"]]

    assert (
        ids(state="connected") == ids(vpc=vpc) == ids(state="connected", vpc=vpc) == [connection.pk]
    )
    assert ids(state="error") == ids(vpc=vpc + 1000) == []


def test_it_refuses_a_filter_it_does_not_know(api, connection) -> None:  # type: ignore[no-untyped-def]
    response = api.get(reverse("api:connection-list"), {"state": "up", "vpc": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "state": ["Select a valid choice. up is not one of the available choices."],
        "vpc": ["Enter a whole number."],
    }


def test_it_lists_a_gateways_connections(api, connection) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:gateway-connections", args=[connection.gateway_id])
    assert [row["id"] for row in api.get(url).json()["results"]] == [connection.pk]


def test_it_shows_a_connection_with_its_counters(api, connection) -> None:  # type: ignore[no-untyped-def]
    VpnConnection.objects.filter(pk=connection.pk).update(bytes_in=1234, packets_out=7)
    body = api.get(reverse("api:connection-detail", args=[connection.pk])).json()
    assert (body["bytes_in"], body["packets_out"], body["bytes_out"]) == (1234, 7, 0)
    assert "operator_detail" not in body and "pushed_fingerprint" not in body


def test_it_resets_a_connection(api, connection) -> None:  # type: ignore[no-untyped-def]
    VpnConnection.objects.filter(pk=connection.pk).update(state="connected")
    response = api.post(reverse("api:connection-reset", args=[connection.pk]))
    assert response.status_code == 202
    assert (response.json()["state"], response.json()["state_reason"]) == (
        "pending",
        "Reset requested.",
    )


def test_it_deletes_a_connection(api, connection) -> None:  # type: ignore[no-untyped-def]
    assert api.delete(reverse("api:connection-detail", args=[connection.pk])).status_code == 204
    assert not VpnConnection.objects.exists()


def test_it_lists_the_devices(api) -> None:  # type: ignore[no-untyped-def]
    devices = api.get(reverse("api:device-list")).json()
    strongswan = {
        "key": "strongswan",
        "label": DEVICES["strongswan"].label,
        "filename": "swanctl.conf",
    }
    assert strongswan in devices
    assert len(devices) == len(DEVICES)


def test_it_downloads_the_device_configuration_as_a_text_attachment(api, connection) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:connection-configuration", args=[connection.pk])
    response = api.get(url, {"device": "strongswan"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="vpn-{connection.pk}-swanctl.conf"'
    )
    assert f'secret = "{PSK}"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_it_refuses_a_device_it_does_not_know(api, connection) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:connection-configuration", args=[connection.pk])
    response = api.get(url, {"device": "toaster"})
    assert response.status_code == 400
    assert response.json() == {
        "device": ["Select a valid choice. toaster is not one of the available choices."]
    }


def test_it_answers_404_for_another_accounts_connection(charlie_api, connection) -> None:  # type: ignore[no-untyped-def]
    answers = [
        charlie_api.get(reverse("api:connection-detail", args=[connection.pk])),
        charlie_api.delete(reverse("api:connection-detail", args=[connection.pk])),
        charlie_api.post(reverse("api:connection-reset", args=[connection.pk])),
        charlie_api.get(
            reverse("api:connection-configuration", args=[connection.pk]), {"device": "strongswan"}
        ),
        charlie_api.get(reverse("api:gateway-connections", args=[connection.gateway_id])),
    ]
    assert [response.status_code for response in answers] == [404] * 5
    assert VpnConnection.objects.filter(pk=connection.pk, state="pending").exists()


def test_it_answers_409_naming_the_setting_a_device_cannot_follow(api, alice, gateway) -> None:  # type: ignore[no-untyped-def]
    cgw = make_cgw(alice.account, local_id_type="fqdn", local_id="vpn.example.com")
    connection = VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    url = reverse("api:connection-configuration", args=[connection.pk])
    response = api.get(url, {"device": "cisco-asa"})
    assert response.status_code == 409
    assert response.json()["detail"]
