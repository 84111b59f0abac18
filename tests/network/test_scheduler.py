"""Placement of routers on network nodes, failover, moves; and the messages each one sends."""

import json
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from network import scheduler
from network.actions import create_vpc
from network.models import NetworkNode, Router
from tests.conftest import broker_key


def _node(name: str, *, ago: float = 0, **fields: object) -> NetworkNode:
    beat = timezone.now() - timedelta(seconds=ago)
    return NetworkNode.objects.create(name=name, last_heartbeat=beat, **fields)


def _vpc(account, n: int):  # type: ignore[no-untyped-def]
    return create_vpc(
        account=account,
        name=f"v{n}",
        cidr=f"10.{n}.0.0/16",
        tier_name="web",
        tier_cidr=f"10.{n}.1.0/24",
    )


def _node_of(vpc) -> str | None:  # type: ignore[no-untyped-def]
    router = Router.objects.select_related("node").get(vpc=vpc)
    return router.node.name if router.node else None


@pytest.fixture
def broker():  # type: ignore[no-untyped-def]
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for key in client.keys(broker_key("node-*")):
        client.delete(key)
    yield client
    for key in client.keys(broker_key("node-*")):
        client.delete(key)


def _tasks(broker, node: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    raw = reversed(broker.lrange(broker_key(f"node-{node}"), 0, -1))
    messages = [json.loads(m) for m in raw]
    return [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages]


@pytest.mark.django_db
def test_it_places_each_new_router_on_the_least_loaded_live_node(alice, pool) -> None:
    _node("b")
    _node("a")
    _node("dead", ago=600)
    _node("drained", draining=True)
    _node("off", enabled=False)
    placed = [_node_of(_vpc(alice.account, n)) for n in range(1, 5)]
    assert placed == ["a", "b", "a", "b"]


@pytest.mark.django_db
def test_it_respects_a_nodes_capacity(alice, pool) -> None:
    _node("a", capacity=1)
    _node("b", capacity=5)
    assert [_node_of(_vpc(alice.account, n)) for n in range(1, 4)] == ["a", "b", "b"]


@pytest.mark.django_db(transaction=True)
def test_it_asks_only_the_chosen_node_to_build_the_router(alice, pool, broker) -> None:
    _node("a")
    _node("b")
    vpc = _vpc(alice.account, 1)
    router = Router.objects.get(vpc=vpc)
    assert (router.node.name, router.generation, router.state) == ("a", 1, "provisioning")
    assert _tasks(broker, "a") == [("agent.build_router", f"({router.pk},)")]
    assert _tasks(broker, "b") == []


@pytest.mark.django_db
def test_it_lets_a_router_wait_when_no_node_is_alive_and_places_it_later(alice, pool) -> None:
    vpc = _vpc(alice.account, 1)
    router = Router.objects.get(vpc=vpc)
    assert (router.node, router.state) == (None, "unscheduled")
    _node("late")
    scheduler.check()
    assert _node_of(vpc) == "late"


@pytest.mark.django_db(transaction=True)
def test_it_fails_a_silent_nodes_routers_over_and_fences_the_old_copy(alice, pool, broker) -> None:
    a = _node("a")
    _node("b", capacity=0)  # full for now
    vpc = _vpc(alice.account, 1)
    NetworkNode.objects.filter(pk=a.pk).update(last_heartbeat=timezone.now() - timedelta(hours=1))
    scheduler.check()
    assert _node_of(vpc) == "a"  # nowhere to go: it stays, shown as unreachable
    assert Router.objects.get(vpc=vpc).state == "unreachable"
    NetworkNode.objects.filter(name="b").update(capacity=10)
    scheduler.check()
    router = Router.objects.get(vpc=vpc)
    assert (router.node.name, router.generation) == ("b", 2)
    assert ("agent.build_router", f"({router.pk},)") in _tasks(broker, "b")
    assert ("agent.remove_router", f"({router.pk},)") in _tasks(broker, "a")


@pytest.mark.django_db(transaction=True)
def test_it_moves_the_routers_of_a_disabled_node(alice, pool) -> None:
    a = _node("a")
    vpc = _vpc(alice.account, 1)
    _node("b")
    NetworkNode.objects.filter(pk=a.pk).update(enabled=False)
    scheduler.check()
    assert _node_of(vpc) == "b"


@pytest.mark.django_db(transaction=True)
def test_it_moves_a_router_and_bumps_its_generation(alice, pool, broker) -> None:
    _node("a")
    b = _node("b")
    vpc = _vpc(alice.account, 1)
    router = Router.objects.get(vpc=vpc)
    scheduler.move(router, b)
    router.refresh_from_db()
    assert (router.node.name, router.generation) == ("b", 2)
    assert _tasks(broker, "a") == [
        ("agent.build_router", f"({router.pk},)"),
        ("agent.remove_router", f"({router.pk},)"),
    ]
    assert _tasks(broker, "b") == [("agent.build_router", f"({router.pk},)")]


@pytest.mark.django_db
def test_it_tells_tenants_about_a_router_in_plain_words(alice, pool) -> None:
    router = Router.objects.get(vpc=_vpc(alice.account, 1))
    for state in ("unscheduled", "provisioning", "restarting", "failed", "unreachable"):
        router.state = state
        message = router.tenant_message
        assert message.startswith("The VPN router") and "/" not in message
    router.state = "running"
    assert router.tenant_message == ""
