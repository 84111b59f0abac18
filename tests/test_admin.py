"""Operators can list, search and filter every model in the admin site."""

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from django.db.models import Model
from django.urls import reverse

from network.actions import create_vpc
from network.models import NetworkNode, Router
from portal.models import Account
from vpn.actions import create_connection, create_gateway, save_customer_gateway
from vpn.models import CustomerGateway

PSK = "Sup3r-Secret-Key!"


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


@pytest.fixture
def world(connection, charlie, globex) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Acme's objects (through `connection`) and one of each kind for Globex, so that a search
    or a filter that matched everything would show two rows where one is expected."""
    other_vpc = create_vpc(
        account=globex, name="dev", cidr="10.2.0.0/16", tier_name="db", tier_cidr="10.2.1.0/24"
    )
    other_cgw = save_customer_gateway(
        CustomerGateway(name="branch", gateway_ip="203.0.113.20", cidr_list="192.168.20.0/24"),
        account=globex,
        psk=PSK,
    )
    create_connection(create_gateway(other_vpc)[0], other_cgw, passive=False)
    Account.objects.filter(pk=globex.pk).update(is_active=False)
    NetworkNode.objects.create(name="unit-off", enabled=False)
    vpc = connection.gateway.vpc
    return {
        "connection": connection,
        "vpc": vpc,
        "acme": vpc.account,
        "router": Router.objects.get(vpc=vpc),
        "other_router": Router.objects.get(vpc=other_vpc),
    }


World = dict[str, Any]


class Case(NamedTuple):
    search: str  # finds only Acme's row
    filters: Callable[[World], dict[str, Any]]  # keeps only Acme's row (or `filtered`)
    row: Callable[[World], Model]
    filtered: Callable[[World], list[Model]] | None = None


CASES: dict[str, Case] = {
    "portal_account": Case("acme", lambda w: {"is_active__exact": "1"}, lambda w: w["acme"]),
    "portal_user": Case(
        "alice",
        lambda w: {"account__id__exact": w["acme"].pk},
        lambda w: w["acme"].users.get(),
    ),
    "network_vpc": Case("prod", lambda w: {"account__id__exact": w["acme"].pk}, lambda w: w["vpc"]),
    "network_tier": Case(
        "web",
        lambda w: {"vpc__account__id__exact": w["acme"].pk},
        lambda w: w["vpc"].tiers.get(),
    ),
    "network_router": Case(
        "prod",
        lambda w: {"vpc__account__id__exact": w["acme"].pk},
        lambda w: w["router"],
    ),
    "network_networknode": Case(
        "unit-a",
        lambda w: {"enabled__exact": "1"},
        lambda w: NetworkNode.objects.get(name="unit-a"),
    ),
    "network_publicip": Case(
        "prod",  # the VPC that uses it
        lambda w: {"router__isempty": "0"},  # in use
        lambda w: w["router"].source_nat_ip,
        lambda w: [w["router"].source_nat_ip, w["other_router"].source_nat_ip],
    ),
    "vpn_customergateway": Case(
        "hq",
        lambda w: {"account__id__exact": w["acme"].pk},
        lambda w: w["connection"].customer_gateway,
    ),
    "vpn_vpngateway": Case(
        "prod",
        lambda w: {"vpc__account__id__exact": w["acme"].pk},
        lambda w: w["connection"].gateway,
    ),
    "vpn_vpnconnection": Case(
        "hq",
        lambda w: {"gateway__vpc__account__id__exact": w["acme"].pk},
        lambda w: w["connection"],
    ),
}


def _rows(client, url: str, params: dict[str, Any]) -> list[int]:  # type: ignore[no-untyped-def]
    response = client.get(url, params)
    assert response.status_code == 200
    return [obj.pk for obj in response.context["cl"].result_list]


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(CASES))
def test_it_lists_searches_and_filters_every_model(operator_client, world, model) -> None:
    case = CASES[model]
    url = reverse(f"admin:{model}_changelist")
    page = operator_client.get(url)
    assert page.status_code == 200
    everything = [obj.pk for obj in page.context["cl"].result_list]
    assert 'id="changelist-filter"' in page.content.decode()
    assert PSK not in page.content.decode()
    row = case.row(world).pk
    filtered = sorted(obj.pk for obj in case.filtered(world)) if case.filtered else [row]
    assert _rows(operator_client, url, {"q": case.search}) == [row]
    assert sorted(_rows(operator_client, url, case.filters(world))) == filtered
    assert len(everything) > len(filtered)  # so that the filter and the search mean something
    assert _rows(operator_client, url, {"q": "no-such-thing"}) == []


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
