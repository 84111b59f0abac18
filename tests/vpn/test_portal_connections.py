"""Adding, resetting and deleting connections; each enqueues real work on the router's queue."""

import json

import pytest
import redis
from django.conf import settings
from django.urls import reverse

from tests.conftest import broker_key
from vpn import queues
from vpn.models import VpnConnection


@pytest.fixture
def broker():  # type: ignore[no-untyped-def]
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield client
    for key in client.keys(broker_key("node-*")):
        client.delete(key)


def _messages(broker, queue: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """The queue's messages in the order they were sent (kombu pushes on the left)."""
    return [json.loads(raw) for raw in reversed(broker.lrange(queue, 0, -1))]


@pytest.mark.django_db
def test_it_adds_a_pending_connection_and_enqueues_its_push(
    alice_client, gateway, cgw, broker, django_capture_on_commit_callbacks
) -> None:
    queue = broker_key(gateway.vpc.router.node.queue)
    broker.delete(queue)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("vpn:connection-add", args=[gateway.pk]),
            {"customer_gateway": cgw.pk, "passive": "on"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200  # the dialog closes on the tab (test_portal_connection_add)
    connection = VpnConnection.objects.get()
    assert connection.state == "pending" and connection.passive
    messages = _messages(broker, queue)
    assert [m["headers"]["task"] for m in messages] == ["agent.push_connection"]
    assert messages[0]["headers"]["argsrepr"] == f"({connection.pk},)"


@pytest.mark.django_db
def test_it_writes_and_enqueues_nothing_when_the_action_fails_after_writing(
    alice_client, gateway, cgw, broker, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    queue = broker_key(gateway.vpc.router.node.queue)
    broker.delete(queue)
    enqueue_push = queues.enqueue_push

    def push_then_fail(router, connection_id: int) -> None:  # type: ignore[no-untyped-def]
        assert VpnConnection.objects.filter(pk=connection_id).exists()  # it did write
        enqueue_push(router, connection_id)  # and asked for the push on commit
        raise RuntimeError("the action fails after writing")

    monkeypatch.setattr(queues, "enqueue_push", push_then_fail)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        alice_client.post(
            reverse("vpn:connection-add", args=[gateway.pk]), {"customer_gateway": cgw.pk}
        )
    assert not VpnConnection.objects.exists()
    assert callbacks == []  # the push went with the rolled-back transaction
    assert broker.llen(queue) == 0


@pytest.mark.django_db
def test_it_resets_and_deletes_behind_a_confirmation(
    alice_client, gateway, cgw, broker, django_capture_on_commit_callbacks
) -> None:
    connection = VpnConnection.objects.create(
        gateway=gateway, customer_gateway=cgw, state="connected"
    )
    queue = broker_key(gateway.vpc.router.node.queue)
    broker.delete(queue)
    dialog = alice_client.get(
        reverse("vpn:connection-reset", args=[connection.pk]), HTTP_HX_REQUEST="true"
    )
    assert "Reset the VPN connection to hq?" in dialog.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("vpn:connection-reset", args=[connection.pk]))
    connection.refresh_from_db()
    assert connection.state == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("vpn:connection-delete", args=[connection.pk]))
    assert not VpnConnection.objects.exists()
    tasks = [m["headers"]["task"] for m in _messages(broker, queue)]
    assert tasks == ["agent.reset_connection", "agent.reconcile_router"]


@pytest.mark.django_db
def test_it_reapplies_connections_when_their_customer_gateway_changes(
    alice_client, gateway, cgw, broker, django_capture_on_commit_callbacks
) -> None:
    from tests.vpn.test_portal_bad_input import GOOD

    connection = VpnConnection.objects.create(
        gateway=gateway, customer_gateway=cgw, state="connected"
    )
    broker.delete(broker_key(gateway.vpc.router.node.queue))
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("vpn:customer-gateway-edit", args=[cgw.pk]),
            {
                **GOOD,
                "name": "hq",
                "gateway_ip": cgw.gateway_ip,
                "cidr_list": "192.168.10.0/24, 192.168.11.0/24",
                "psk": "",
            },
        )
    assert response.status_code == 302
    cgw.refresh_from_db()
    connection.refresh_from_db()
    assert cgw.cidrs == ["192.168.10.0/24", "192.168.11.0/24"]
    assert cgw.get_psk() == "Tr1cky-Pre-Shared-Key"  # empty "replace key" keeps the old one
    assert connection.state == "pending"
    assert broker.llen(broker_key(gateway.vpc.router.node.queue)) == 1


@pytest.mark.django_db
def test_it_lists_every_connection_of_the_account(alice_client, gateway, cgw) -> None:
    VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    page = alice_client.get(reverse("vpn:connection-list")).content.decode()
    assert gateway.vpc.name in page and "hq" in page and "Pending" in page


@pytest.mark.django_db
def test_it_polls_a_fragment_of_the_connection_tab(alice_client, gateway, cgw) -> None:
    VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw, state="connected")
    url = reverse("vpn:gateway-detail", args=[gateway.pk])
    full = alice_client.get(url, {"tab": "connections"}).content.decode()
    assert "<html" in full and 'hx-trigger="live, every 30s"' in full
    fragment = alice_client.get(
        url, {"tab": "connections", "fragment": "connections"}, HTTP_HX_REQUEST="true"
    )
    body = fragment.content.decode()
    assert "<html" not in body and 'id="connections"' in body
    assert 'data-state="connected"' in body and "Connected" in body
    assert fragment["Vary"].count("HX-Request") == 1
