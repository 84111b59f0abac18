"""Headers: the content security policy, no-store on every page that shows a secret, and the
health check reachable over plain http behind the SSL redirect."""

import pytest
from django.urls import reverse

from tests.vpn.conftest import PSK, make_cgw
from vpn.actions import create_connection, create_gateway


def _no_store(response) -> bool:  # type: ignore[no-untyped-def]
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_it_forbids_base_tags_plugins_and_foreign_form_targets(client) -> None:
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["base-uri"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_it_keeps_the_customer_gateway_pages_out_of_caches(alice_client, alice) -> None:
    cgw = make_cgw(alice.account)
    for url in (
        reverse("vpn:customer-gateway-list"),
        reverse("vpn:customer-gateway-edit", args=[cgw.pk]),
        reverse("vpn:customer-gateway-create"),
    ):
        assert _no_store(alice_client.get(url)), url


@pytest.mark.django_db
def test_it_keeps_the_configuration_and_its_download_out_of_caches(
    alice_client, alice, vpc
) -> None:
    gateway = create_gateway(vpc)[0]
    connection = create_connection(gateway, make_cgw(alice.account), passive=False)
    url = reverse("vpn:connection-configuration", args=[connection.pk])
    download = alice_client.get(url, {"download": "strongswan"})
    assert PSK in download.content.decode()
    assert _no_store(download)
    assert _no_store(alice_client.get(url))


@pytest.mark.django_db
def test_it_keeps_the_account_pages_out_of_caches(alice_client) -> None:
    for name in (
        "accounts:security",
        "accounts:password-change",
        "accounts:two-factor-setup",
    ):
        assert _no_store(alice_client.get(reverse(name))), name


@pytest.mark.django_db
def test_it_keeps_the_admin_out_of_caches(client, django_user_model) -> None:
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    assert _no_store(client.get(reverse("admin:vpn_customergateway_changelist")))


@pytest.mark.django_db
def test_it_answers_health_checks_over_plain_http(client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("healthz")).status_code == 200
    response = client.get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
