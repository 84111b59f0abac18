"""Site-to-Site VPN Lists: the confirm dialog, OK creates the one gateway, Cancel creates none."""

import threading

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.urls import reverse

from vpn.models import VpnGateway

DIALOG_TEXT = "Please confirm to create S2S VPN gateway for this VPC."


@pytest.mark.django_db
def test_it_asks_for_confirmation_in_a_modal_for_htmx(alice_client, vpc) -> None:
    response = alice_client.get(
        reverse("vpn:gateway-create", args=[vpc.pk]), HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert DIALOG_TEXT in page
    assert "<dialog" in page and "<html" not in page
    assert 'aria-labelledby="confirm-title"' in page
    assert not VpnGateway.objects.exists()


@pytest.mark.django_db
def test_it_asks_for_confirmation_on_a_page_without_javascript(alice_client, vpc) -> None:
    page = alice_client.get(reverse("vpn:gateway-create", args=[vpc.pk])).content.decode()
    assert DIALOG_TEXT in page and "<html" in page and 'role="dialog"' in page
    assert reverse("network:vpc-configure", args=[vpc.pk]) in page  # Cancel goes back
    assert not VpnGateway.objects.exists()


@pytest.mark.django_db
def test_it_creates_the_gateway_on_the_source_nat_ip_on_ok(alice_client, vpc) -> None:
    response = alice_client.post(reverse("vpn:gateway-create", args=[vpc.pk]))
    gateway = VpnGateway.objects.get(vpc=vpc)
    assert response.status_code == 302 and response["Location"] == gateway.get_absolute_url()
    assert gateway.public_ip == vpc.router.source_nat_ip.address
    page = alice_client.get(gateway.get_absolute_url()).content.decode()
    assert gateway.public_ip in page and "VPN Connection" in page


@pytest.mark.django_db
def test_it_redirects_htmx_with_a_client_redirect(alice_client, vpc) -> None:
    response = alice_client.post(
        reverse("vpn:gateway-create", args=[vpc.pk]), HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"] == VpnGateway.objects.get(vpc=vpc).get_absolute_url()


@pytest.mark.django_db
def test_it_skips_the_dialog_once_the_gateway_exists(alice_client, vpc) -> None:
    alice_client.post(reverse("vpn:gateway-create", args=[vpc.pk]))
    gateway = VpnGateway.objects.get(vpc=vpc)
    dashboard = alice_client.get(reverse("network:vpc-configure", args=[vpc.pk])).content.decode()
    assert gateway.get_absolute_url() in dashboard
    again = alice_client.get(reverse("vpn:gateway-create", args=[vpc.pk]))
    assert again.status_code == 302 and again["Location"] == gateway.get_absolute_url()
    alice_client.post(reverse("vpn:gateway-create", args=[vpc.pk]))
    assert VpnGateway.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_creates_exactly_one_gateway_under_twenty_concurrent_confirms(alice, pool) -> None:
    from network.actions import create_vpc

    vpc = create_vpc(
        account=alice.account,
        name="race",
        cidr="10.7.0.0/16",
        tier_name="t",
        tier_cidr="10.7.1.0/24",
    )
    url = reverse("vpn:gateway-create", args=[vpc.pk])
    barrier, statuses = threading.Barrier(20, timeout=30), []

    def confirm() -> None:
        client = Client()
        client.force_login(alice)
        # Back to the pool before the wait: twenty threads each holding one would take more
        # than a process's pool has (DATABASE_POOL_SIZE) and none could reach the barrier. The
        # twenty POSTs then queue for the pool's connections, as a burst of requests does.
        db_connection.close()
        barrier.wait()
        statuses.append(client.post(url).status_code)
        db_connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * 20
    assert VpnGateway.objects.filter(vpc=vpc).count() == 1
