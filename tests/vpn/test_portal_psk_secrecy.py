"""The pre-shared key never appears in a page, an admin page, a log line or a Celery message.

The one deliberate exception is the owner's Download configuration file, which is checked too.
"""

import logging

import pytest
import redis
from django.conf import settings
from django.urls import reverse

from tests.conftest import broker_key
from tests.vpn.test_portal_bad_input import GOOD
from vpn.models import CustomerGateway, VpnConnection

SECRET = "Zebra-Secret-4711"


@pytest.fixture
def broker():  # type: ignore[no-untyped-def]
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield client
    for key in client.keys(broker_key("node-*")):
        client.delete(key)


@pytest.mark.django_db
def test_it_never_shows_or_logs_or_enqueues_the_psk(
    alice_client,
    alice,
    gateway,
    broker,
    caplog,
    django_capture_on_commit_callbacks,
    django_user_model,
) -> None:
    caplog.set_level(logging.DEBUG)
    queue = broker_key(gateway.vpc.router.node.queue)
    broker.delete(queue)
    pages: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        created = alice_client.post(reverse("vpn:customer-gateway-create"), {**GOOD, "psk": SECRET})
        assert created.status_code == 302
        cgw = CustomerGateway.objects.get(account=alice.account)
        edit_url = reverse("vpn:customer-gateway-edit", args=[cgw.pk])
        pages.append(alice_client.get(edit_url).content.decode())
        bad = alice_client.post(edit_url, {**GOOD, "psk": SECRET, "cidr_list": "nonsense"})
        pages.append(bad.content.decode())  # a failed form must not echo the key back
        alice_client.post(
            reverse("vpn:connection-add", args=[gateway.pk]), {"customer_gateway": cgw.pk}
        )
        connection = VpnConnection.objects.get()
        alice_client.post(edit_url, {**GOOD, "psk": "", "name": "branch"})  # re-applies
        alice_client.post(reverse("vpn:connection-reset", args=[connection.pk]))
    for url in (
        reverse("vpn:customer-gateway-list"),
        reverse("vpn:connection-list"),
        reverse("vpn:gateway-detail", args=[gateway.pk]) + "?tab=connections",
        reverse("vpn:connection-add", args=[gateway.pk]),
        reverse("vpn:connection-configuration", args=[connection.pk]),
    ):
        pages.append(alice_client.get(url).content.decode())
    operator = django_user_model.objects.create_superuser("ops", password="x")
    alice_client.force_login(operator)
    for url in (
        reverse("admin:vpn_customergateway_changelist"),
        reverse("admin:vpn_customergateway_change", args=[cgw.pk]),
        reverse("admin:vpn_vpnconnection_changelist"),
        reverse("admin:vpn_vpnconnection_change", args=[connection.pk]),
    ):
        pages.append(alice_client.get(url).content.decode())

    assert all(SECRET not in page for page in pages)
    assert SECRET not in caplog.text
    messages = [raw.decode() for raw in broker.lrange(queue, 0, -1)]
    assert len(messages) == 3  # add, edit (re-apply), reset
    assert all(SECRET not in message for message in messages)
    cgw.refresh_from_db()
    assert SECRET not in cgw.psk_encrypted and cgw.get_psk() == SECRET


@pytest.mark.django_db
def test_it_gives_the_key_only_in_the_owners_download(
    alice_client, charlie_client, gateway, cgw
) -> None:
    connection = VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    url = reverse("vpn:connection-configuration", args=[connection.pk])
    warning = alice_client.get(url).content.decode()
    assert "pre-shared key in clear text" in warning and cgw.get_psk() not in warning
    download = alice_client.get(url, {"download": "strongswan"})
    assert (
        download["Content-Disposition"]
        == f'attachment; filename="vpn-{connection.pk}-swanctl.conf"'
    )
    assert "no-store" in download["Cache-Control"]
    assert cgw.get_psk() in download.content.decode()
    assert charlie_client.get(url, {"download": "strongswan"}).status_code == 404
