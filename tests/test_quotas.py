"""Per-account quotas of VPCs, customer gateways and VPN connections: defaults in the settings,
an account's own in the admin, enforced by the actions under a lock, and told to the tenant."""

import contextlib
import threading
from collections.abc import Callable
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.urls import reverse

from network import actions as network_actions
from network.actions import create_vpc
from network.models import PublicIp, Vpc
from tests.vpn.conftest import make_cgw
from tests.vpn.test_portal_bad_input import GOOD
from vpn import actions as vpn_actions
from vpn.actions import create_connection, create_gateway
from vpn.models import CustomerGateway, VpnConnection

VPC_FORM = {
    "name": "extra",
    "cidr": "10.50.0.0/16",
    "tier_name": "web",
    "tier_cidr": "10.50.1.0/24",
}


@pytest.fixture
def gateway(vpc):  # type: ignore[no-untyped-def]
    return create_gateway(vpc)[0]


@pytest.fixture
def cgw(alice):  # type: ignore[no-untyped-def]
    return make_cgw(alice.account)


def _vpcs(account, count: int, start: int = 1) -> None:  # type: ignore[no-untyped-def]
    for n in range(start, start + count):
        create_vpc(
            account=account,
            name=f"v{n}",
            cidr=f"10.{n}.0.0/16",
            tier_name="web",
            tier_cidr=f"10.{n}.1.0/24",
        )


# VPCs ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_the_sixth_vpc_with_a_message(alice_client, alice, pool, live_node) -> None:
    _vpcs(alice.account, 5)
    response = alice_client.post(reverse("network:vpc-create"), VPC_FORM)
    assert (
        "You have 5 of 5 VPCs. Delete one or ask your operator for more."
        in response.content.decode()
    )
    assert Vpc.objects.count() == 5
    assert PublicIp.objects.filter(router__isnull=True).count() == len(pool) - 5


@pytest.mark.django_db
def test_it_shows_the_vpc_quota_next_to_the_add_button(
    alice_client, alice, pool, live_node, settings
) -> None:
    settings.PORTAL_QUOTA_VPCS = 2
    _vpcs(alice.account, 1)
    message = "You have 2 of 2 VPCs."
    assert message not in alice_client.get(reverse("network:vpc-list")).content.decode()
    _vpcs(alice.account, 1, start=2)
    for url in (reverse("network:vpc-list"), reverse("network:vpc-create")):
        assert message in alice_client.get(url).content.decode()


@pytest.mark.django_db
def test_it_takes_an_accounts_own_quota_over_the_default(
    alice, charlie, pool, live_node, settings
) -> None:
    settings.PORTAL_QUOTA_VPCS = 1
    alice.account.vpc_quota = 2
    alice.account.save()
    _vpcs(alice.account, 2)
    with pytest.raises(ValidationError, match="You have 2 of 2 VPCs"):
        _vpcs(alice.account, 1, start=3)
    _vpcs(charlie.account, 1, start=4)  # charlie's account has the default
    with pytest.raises(ValidationError, match="You have 1 of 1 VPCs"):
        _vpcs(charlie.account, 1, start=5)


def _race(monkeypatch, module, counter: str, creates: list[Callable[[], object]]) -> list[str]:  # type: ignore[no-untyped-def]
    """Run two creates at once, each waiting (at most 2 s) after counting for the other to count
    too: without the lock on the account both would count the same; with it, the second counts
    after the first has committed. The outcomes: "created" or the refusal's message."""
    counted = threading.Barrier(2, timeout=2)
    count = getattr(module, counter)

    def slow_count(account):  # type: ignore[no-untyped-def]
        quota = count(account)
        with contextlib.suppress(threading.BrokenBarrierError):
            counted.wait()
        return quota

    monkeypatch.setattr(module, counter, slow_count)
    outcomes: list[str] = []

    def run(create: Callable[[], object]) -> None:
        try:
            create()
            outcomes.append("created")
        except ValidationError as error:
            outcomes.extend(error.messages)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(create,)) for create in creates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_it_lets_no_two_concurrent_vpc_creates_both_take_the_last_place(
    alice, pool, live_node, settings, monkeypatch
) -> None:
    settings.PORTAL_QUOTA_VPCS = 1
    creates = [partial(_vpcs, alice.account, 1, start=n) for n in (1, 2)]
    assert _race(monkeypatch, network_actions, "vpc_quota", creates) == [
        "You have 1 of 1 VPCs. Delete one or ask your operator for more.",
        "created",
    ]
    assert Vpc.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_lets_no_two_concurrent_customer_gateway_creates_both_take_the_last_place(
    alice, settings, monkeypatch
) -> None:
    settings.PORTAL_QUOTA_CUSTOMER_GATEWAYS = 1
    creates = [partial(make_cgw, alice.account, name=f"c{n}", ip=f"203.0.113.{n}") for n in (1, 2)]
    assert _race(monkeypatch, vpn_actions, "customer_gateway_quota", creates) == [
        "You have 1 of 1 customer gateways. Delete one or ask your operator for more.",
        "created",
    ]
    assert CustomerGateway.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_lets_no_two_concurrent_connection_adds_both_take_the_last_place(
    alice, pool, live_node, settings, monkeypatch
) -> None:
    settings.PORTAL_QUOTA_CONNECTIONS = 1
    _vpcs(alice.account, 2)  # two VPN gateways: their own locks do not serialise the adds
    gateways = [create_gateway(vpc)[0] for vpc in Vpc.objects.order_by("id")]
    cgw = make_cgw(alice.account)
    creates = [partial(create_connection, g, cgw, passive=False) for g in gateways]
    assert _race(monkeypatch, vpn_actions, "connection_quota", creates) == [
        "You have 1 of 1 VPN connections. Delete one or ask your operator for more.",
        "created",
    ]
    assert VpnConnection.objects.count() == 1


# Customer gateways --------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_a_customer_gateway_beyond_the_quota(alice_client, alice, settings) -> None:
    settings.PORTAL_QUOTA_CUSTOMER_GATEWAYS = 1
    message = "You have 1 of 1 customer gateways. Delete one or ask your operator for more."
    list_url = reverse("vpn:customer-gateway-list")
    assert message not in alice_client.get(list_url).content.decode()
    make_cgw(alice.account)
    assert message in alice_client.get(list_url).content.decode()
    create_url = reverse("vpn:customer-gateway-create")
    assert message in alice_client.get(create_url).content.decode()
    response = alice_client.post(create_url, GOOD)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert CustomerGateway.objects.count() == 1


@pytest.mark.django_db
def test_it_still_lets_a_tenant_at_the_quota_edit_a_customer_gateway(
    alice_client, alice, cgw, settings
) -> None:
    settings.PORTAL_QUOTA_CUSTOMER_GATEWAYS = 1
    response = alice_client.post(
        reverse("vpn:customer-gateway-edit", args=[cgw.pk]),
        {**GOOD, "name": "renamed", "psk": ""},
    )
    assert response.status_code == 302
    cgw.refresh_from_db()
    assert cgw.name == "renamed"


# VPN connections ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_a_connection_beyond_the_quota(
    alice_client, alice, gateway, cgw, settings
) -> None:
    settings.PORTAL_QUOTA_CONNECTIONS = 1
    message = "You have 1 of 1 VPN connections. Delete one or ask your operator for more."
    tab = reverse("vpn:gateway-detail", args=[gateway.pk])
    add = reverse("vpn:connection-add", args=[gateway.pk])
    assert message not in alice_client.get(tab, {"tab": "connections"}).content.decode()
    create_connection(gateway, cgw, passive=False)
    other = make_cgw(alice.account, name="other", ip="203.0.113.60", cidrs="192.168.60.0/24")
    assert message in alice_client.get(tab, {"tab": "connections"}).content.decode()
    assert message in alice_client.get(add, HTTP_HX_REQUEST="true").content.decode()
    response = alice_client.post(add, {"customer_gateway": other.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert message in response.content.decode()
    assert VpnConnection.objects.count() == 1


@pytest.mark.django_db
def test_it_counts_connections_over_all_the_accounts_vpcs(alice, gateway, cgw, settings) -> None:
    settings.PORTAL_QUOTA_CONNECTIONS = 1
    create_connection(gateway, cgw, passive=False)
    second = create_gateway(
        create_vpc(
            account=alice.account,
            name="second",
            cidr="10.2.0.0/16",
            tier_name="web",
            tier_cidr="10.2.1.0/24",
        )
    )[0]
    with pytest.raises(ValidationError, match="You have 1 of 1 VPN connections"):
        create_connection(second, cgw, passive=False)


# The admin site -----------------------------------------------------------------------------


@pytest.fixture
def operator_client(client, django_user_model):  # type: ignore[no-untyped-def]
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    return client


@pytest.mark.django_db
def test_it_lets_an_operator_set_an_accounts_quotas(operator_client, alice) -> None:
    account = alice.account
    form = {
        "name": account.name,
        "is_active": "on",
        "vpc_quota": "7",
        "customer_gateway_quota": "",
        "connection_quota": "0",
        "users-TOTAL_FORMS": "1",
        "users-INITIAL_FORMS": "1",
        "users-0-id": str(alice.pk),
        "users-0-account": str(account.pk),
        "users-0-username": alice.username,
        "users-0-is_active": "on",
    }
    response = operator_client.post(reverse("admin:portal_account_change", args=[account.pk]), form)
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.vpc_quota, account.customer_gateway_quota, account.connection_quota) == (
        7,
        None,
        0,
    )
    assert account.limit("vpc_quota") == 7
    assert account.limit("connection_quota") == 0


@pytest.mark.django_db
def test_it_holds_operators_to_the_quota_in_the_admin_too(
    operator_client, alice, cgw, settings
) -> None:
    settings.PORTAL_QUOTA_CUSTOMER_GATEWAYS = 1
    fields = {key: value for key, value in GOOD.items() if key != "psk"}
    response = operator_client.post(
        reverse("admin:vpn_customergateway_add"),
        {**fields, "account": alice.account.pk, "new_psk": "Admin-Chosen-Key"},
        follow=True,
    )
    assert response.status_code == 200
    assert "You have 1 of 1 customer gateways." in response.content.decode()
    assert CustomerGateway.objects.count() == 1
