"""Operators can list, search and filter every model in the admin site."""

import pytest
from django.urls import reverse

from vpn.actions import create_connection, create_gateway, save_customer_gateway
from vpn.models import CustomerGateway

PSK = "Sup3r-Secret-Key!"
MODELS = [
    "portal_account",
    "portal_user",
    "network_vpc",
    "network_tier",
    "network_router",
    "network_networknode",
    "network_publicip",
    "vpn_customergateway",
    "vpn_vpngateway",
    "vpn_vpnconnection",
]


@pytest.fixture
def operator_client(client, django_user_model):  # type: ignore[no-untyped-def]
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    return client


@pytest.fixture
def connection(vpc, alice):  # type: ignore[no-untyped-def]
    cgw = save_customer_gateway(
        CustomerGateway(name="hq", gateway_ip="203.0.113.10", cidr_list="192.168.10.0/24"),
        account=alice.account,
        psk=PSK,
    )
    return create_connection(create_gateway(vpc)[0], cgw, passive=False)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS)
def test_it_lists_searches_and_filters_every_model(operator_client, connection, model) -> None:
    url = reverse(f"admin:{model}_changelist")
    assert operator_client.get(url).status_code == 200
    assert operator_client.get(url, {"q": "hq"}).status_code == 200
    page = operator_client.get(url).content.decode()
    assert 'id="changelist-filter"' in page or model == "portal_account" or "filter" in page
    assert PSK not in page


@pytest.mark.django_db
def test_it_filters_connections_by_state(operator_client, connection) -> None:
    url = reverse("admin:vpn_vpnconnection_changelist")
    # "hq (203.0.113.10)" as the admin renders it; a bare "hq" could hide in a random token
    assert (
        "hq (203.0.113.10)"
        in operator_client.get(url, {"state__exact": "pending"}).content.decode()
    )
    assert (
        "hq (203.0.113.10)"
        not in operator_client.get(url, {"state__exact": "connected"}).content.decode()
    )


@pytest.mark.django_db
def test_it_never_shows_the_psk_on_the_change_page(operator_client, connection) -> None:
    cgw = connection.customer_gateway
    page = operator_client.get(reverse("admin:vpn_customergateway_change", args=[cgw.pk]))
    assert page.status_code == 200
    assert PSK not in page.content.decode()
    assert "17 characters" in page.content.decode()


@pytest.mark.django_db
def test_it_shows_each_nodes_health_and_load(operator_client, connection) -> None:
    page = operator_client.get(reverse("admin:network_networknode_changelist")).content.decode()
    assert "unit-a" in page and "heartbeat age" in page.lower()


@pytest.mark.django_db
def test_it_drains_a_node_and_moves_its_router_elsewhere(operator_client, connection) -> None:
    from django.utils import timezone

    from network.models import NetworkNode, Router

    old = NetworkNode.objects.get(name="unit-a")
    new = NetworkNode.objects.create(name="unit-b", last_heartbeat=timezone.now())
    changelist = reverse("admin:network_networknode_changelist")
    operator_client.post(changelist, {"action": "drain", "_selected_action": [old.pk]})
    old.refresh_from_db()
    assert old.draining
    router = Router.objects.get()
    response = operator_client.post(
        reverse("admin:network_router_changelist"),
        {"action": "move_routers", "_selected_action": [router.pk], "node": ""},
    )
    assert response.status_code == 302
    router.refresh_from_db()
    assert (router.node, router.generation) == (new, 2)


@pytest.mark.django_db
def test_it_lets_no_operator_without_the_change_permission_move_a_router(
    client, django_user_model, connection
) -> None:
    from django.contrib.auth.models import Permission

    from network.models import Router

    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_router"))
    client.force_login(viewer)
    router = Router.objects.get()
    client.post(
        reverse("admin:network_router_changelist"),
        {"action": "move_routers", "_selected_action": [router.pk], "node": ""},
    )
    router.refresh_from_db()
    assert router.generation == 1
