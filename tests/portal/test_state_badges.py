"""One badge per state, pages and admin alike: a connection's and a router's state reads the same
(label, tone, icon) on the tenant's page and in the operators' admin, both drawn by
portal.badges.render_badge from the one map of their kind of state."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from api.actions import create_token, revoke_token
from network.choices import RouterState
from network.models import Router
from portal.models import User
from vpn.choices import ConnectionState
from vpn.health import TROUBLED
from vpn.models import VpnConnection

BADGE = re.compile(r'<span class="status [^"]*" data-state="([^"]*)">.*?</span>[^<]*</span>')


@pytest.fixture
def operator_client(client: Client, operator: User) -> Client:
    client.force_login(operator)
    return client


def badges(client: Client, url: str, state: str) -> list[str]:
    html = client.get(url).content.decode()
    return [m.group(0) for m in BADGE.finditer(html) if m.group(1) == state]


@pytest.mark.parametrize("state", ConnectionState.values)
@pytest.mark.django_db
def test_it_shows_a_connection_state_alike_on_the_page_and_in_the_admin(
    state: str, alice_client: Client, operator_client: Client, connection: VpnConnection
) -> None:
    VpnConnection.objects.filter(pk=connection.pk).update(state=state)
    page = badges(alice_client, reverse("vpn:connection-list"), state)
    admin = badges(operator_client, reverse("admin:vpn_vpnconnection_changelist"), state)
    assert page == admin and len(page) == 1
    assert str(ConnectionState(state).label) in page[0]


# Every router state in the admin's router list; the troubled ones also on Platform health.
ROUTER_VIEWS = [(state, "admin:network_router_changelist") for state in RouterState.values] + [
    (state, "operators:platform-health") for state in TROUBLED
]


@pytest.mark.parametrize(("state", "admin_view"), ROUTER_VIEWS)
@pytest.mark.django_db
def test_it_shows_a_router_state_alike_on_the_page_and_in_the_admin(
    state: str,
    admin_view: str,
    alice_client: Client,
    operator_client: Client,
    connection: VpnConnection,
) -> None:
    Router.objects.filter(vpc=connection.gateway.vpc).update(state=state)
    page = badges(alice_client, reverse("network:vpc-list"), state)
    admin = badges(operator_client, reverse(admin_view), state)
    assert page == admin and len(page) == 1
    assert str(RouterState(state).label) in page[0]


@pytest.mark.django_db
def test_it_shows_a_revoked_api_token_with_its_badge(alice: User, alice_client: Client) -> None:
    revoke_token(create_token(user=alice, name="ci")[0])
    (badge,) = badges(alice_client, reverse("api-tokens:list"), "revoked")
    assert "Revoked" in badge
