"""The Download configuration dialog: every device, grouped by vendor, each a plain link; a
device that cannot follow the connection shows why instead of handing out a file."""

import pytest
from django.urls import reverse

from tests.vpn.conftest import make_cgw
from vpn.device_configs import DEVICES
from vpn.models import VpnConnection

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(gateway, cgw):
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)


def _url(connection: VpnConnection) -> str:
    return reverse("vpn:connection-configuration", args=[connection.pk])


def test_it_lists_every_device_under_its_vendor_as_a_plain_link(alice_client, connection) -> None:
    page = alice_client.get(_url(connection)).content.decode()
    for key, device in DEVICES.items():
        assert f'href="?download={key}"' in page
        assert f'aria-label="Download for {device.label}"' in page
        assert f">{device.vendor}</h3>" in page


@pytest.mark.parametrize("key", sorted(DEVICES))
def test_it_downloads_each_device_file_privately(alice_client, connection, key) -> None:
    response = alice_client.get(_url(connection), {"download": key})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="vpn-{connection.pk}-{DEVICES[key].suffix}"'
    )
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert connection.gateway.public_ip in text and "192.168.10.0" in text


def test_it_shows_a_refused_device_with_its_reason_instead_of_a_file(
    alice_client, alice, gateway
) -> None:
    cgw = make_cgw(alice.account, name="curve", ike_dh="curve25519")
    connection = VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    page = alice_client.get(_url(connection))
    assert 'href="?download=cisco-ios"' not in page.content.decode()
    assert "Not available for this connection: Cisco IOS XE cannot use Group 31" in (
        page.content.decode()
    )
    refused = alice_client.get(_url(connection), {"download": "cisco-ios"})
    assert refused.status_code == 409
    assert "Content-Disposition" not in refused
    assert "for IKE DH group" in refused.content.decode()
    assert cgw.get_psk() not in refused.content.decode()


def test_it_hides_the_dialog_and_files_from_another_account(charlie_client, connection) -> None:
    assert charlie_client.get(_url(connection)).status_code == 404
    assert charlie_client.get(_url(connection), {"download": "fortigate"}).status_code == 404


def test_it_answers_htmx_with_the_dialog_alone(alice_client, connection) -> None:
    fragment = alice_client.get(_url(connection), headers={"HX-Request": "true"}).content
    assert fragment.decode().lstrip().startswith("<dialog")
