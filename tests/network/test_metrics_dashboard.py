"""The admin's "Platform health" page: staff only, the same figures as /metrics, in a constant
number of queries."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from network.models import NetworkNode
from portal.models import User
from tests.network.metrics_world import World
from vpn.health import platform_health
from vpn.models import VpnConnection

pytestmark = pytest.mark.django_db
URL = "/admin/platform-health/"


@pytest.fixture
def operator_client(db) -> Client:  # type: ignore[no-untyped-def]
    operator = User.objects.create_user(username="olga", password="pw-olga", is_staff=True)
    client = Client()
    client.force_login(operator)
    return client


def test_it_sends_a_tenant_to_the_admin_login(alice_client) -> None:
    response = alice_client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_it_is_linked_from_the_admin_index(operator_client) -> None:
    assert URL.encode() in operator_client.get("/admin/").content


def test_it_shows_counts_nodes_troubled_routers_and_recent_errors(
    operator_client, world: World
) -> None:
    page = operator_client.get(URL).content.decode()
    assert '<th scope="row">Error</th><td>3</td>' in page
    assert 'data-state="failed"' in page and "charon died 5 times within 120 s" in page
    assert "node unit-b stopped heartbeating" in page  # an unreachable router's reason
    assert "no proposal chosen" in page  # a refused connection's details for operators
    assert "unit-c" in page and "never" in page  # a node that never heartbeat
    assert "node-unit-a" in page  # its queue


def test_it_lists_the_most_recent_errors_first(world: World) -> None:
    errors = platform_health().recent_errors
    expected = list(
        VpnConnection.objects.filter(state="error")
        .order_by("-state_changed", "-pk")
        .values_list("pk", flat=True)
    )
    assert [error.pk for error in errors] == expected


def test_it_counts_in_a_constant_number_of_queries(operator_client, world: World) -> None:
    with CaptureQueriesContext(connection) as few:
        operator_client.get(URL)
    NetworkNode.objects.create(name="unit-d")
    VpnConnection.objects.filter(state="pending").update(state="error")
    with CaptureQueriesContext(connection) as more:
        assert operator_client.get(URL).status_code == 200
    assert len(more) == len(few) <= 10
