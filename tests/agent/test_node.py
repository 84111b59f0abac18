"""The agent's duties toward its node's routers, with the driver's kernel work stubbed out (the
lab tests run it for real): fencing, supervision, heartbeat."""

import pytest

from agent import node as node_module
from agent.driver import DriverCommandError, DriverUnavailable
from network.models import NetworkNode, Router


@pytest.fixture
def driver_calls(node, monkeypatch):  # type: ignore[no-untyped-def]
    """Record what the agent asks of its driver; charons are dead unless listed as alive."""
    calls: list[tuple[str, int]] = []
    alive: set[int] = set()
    monkeypatch.setattr(node.driver, "remove", lambda rid: calls.append(("remove", rid)))
    monkeypatch.setattr(node.driver, "ensure", lambda rid: not calls.append(("ensure", rid)))
    monkeypatch.setattr(node.driver, "charon_running", lambda rid: rid in alive)
    monkeypatch.setattr(node.driver, "log_tail", lambda rid: "charon: segfault")
    calls_alive = (calls, alive)
    return calls_alive


@pytest.mark.django_db
def test_it_removes_copies_the_portal_placed_elsewhere_or_again(
    node, on_node, driver_calls
) -> None:
    calls, _ = driver_calls
    node.held.update({on_node.pk: 0, 999: 1})  # an older generation; a router that is gone
    assert sorted(node.fence()) == sorted([999, on_node.pk])
    assert sorted(calls) == sorted([("remove", 999), ("remove", on_node.pk)])


@pytest.mark.django_db
def test_it_keeps_what_it_owns_at_the_current_generation(node, on_node, driver_calls) -> None:
    assert node.fence() == []
    assert driver_calls[0] == []


@pytest.mark.django_db
def test_it_refuses_a_router_of_another_node(node, on_node, elsewhere, caplog) -> None:
    Router.objects.filter(pk=on_node.pk).update(node=elsewhere)
    on_node.refresh_from_db()
    assert not node.owns(on_node)
    assert f"refused: router {on_node.pk} belongs to node {elsewhere.pk}" in caplog.text


@pytest.mark.django_db
def test_it_restarts_a_dead_charon_and_counts_it(node, on_node, driver_calls) -> None:
    calls, _ = driver_calls
    assert node.supervise() == [on_node.pk]
    on_node.refresh_from_db()
    assert calls == [("ensure", on_node.pk)]
    assert (on_node.state, on_node.restarts) == ("running", 1)


@pytest.mark.django_db
def test_it_restarts_a_dead_charon_even_when_marking_its_tunnels_fails(
    node, on_node, driver_calls, caplog
) -> None:
    calls, _ = driver_calls

    def on_dead(router_id: int) -> None:
        raise RuntimeError("deadlock detected")  # what PostgreSQL said once, in the bench

    assert node.supervise(on_dead=on_dead) == [on_node.pk]
    assert calls == [("ensure", on_node.pk)]
    assert f"router {on_node.pk}: marking its dead charon's tunnels failed" in caplog.text


@pytest.mark.django_db
def test_it_counts_no_restart_when_a_build_beside_it_started_charon(
    node, on_node, monkeypatch
) -> None:
    monkeypatch.setattr(node.driver, "charon_running", lambda rid: False)
    monkeypatch.setattr(node.driver, "ensure", lambda rid: False)  # already started meanwhile
    assert node.supervise() == []
    on_node.refresh_from_db()
    assert (on_node.state, on_node.restarts) == ("running", 0)


@pytest.mark.django_db
def test_it_leaves_a_live_charon_alone(node, on_node, driver_calls) -> None:
    calls, alive = driver_calls
    alive.add(on_node.pk)
    assert node.supervise() == []
    assert calls == []


@pytest.mark.django_db
def test_it_shows_a_charon_that_keeps_dying_as_failed(node, on_node, driver_calls) -> None:
    calls, _ = driver_calls
    for _ in range(node_module.CRASH_LIMIT):
        node.supervise()
    assert node.supervise() == []  # the limit is reached: no more restarts for now
    on_node.refresh_from_db()
    assert on_node.state == "failed"
    assert "charon: segfault" in on_node.state_reason
    assert len(calls) == node_module.CRASH_LIMIT
    assert on_node.restarts == node_module.CRASH_LIMIT
    assert on_node.tenant_message == "The VPN router has failed; the operators have been told."


@pytest.mark.django_db
def test_it_heartbeats_what_it_runs_and_registers_again_when_deleted(node, on_node) -> None:
    node.heartbeat()
    row = NetworkNode.objects.get(name="unit")
    assert row.running_routers == [on_node.pk] and row.is_alive()
    assert (node.config.run_dir / node_module.HEARTBEAT_FILE).exists()  # for a health check
    Router.objects.filter(node=row).update(node=None)
    row.delete()
    node.heartbeat()
    assert NetworkNode.objects.get(name="unit").is_alive()


@pytest.mark.django_db
def test_it_sends_a_retry_back_to_its_own_nodes_queue(node, monkeypatch) -> None:
    from celery import Task

    from agent import tasks

    monkeypatch.setattr(tasks, "this_node", lambda: node)
    sent: dict[str, object] = {}
    monkeypatch.setattr(Task, "retry", lambda self, *args, **kwargs: sent.update(kwargs))
    tasks.reconcile_router.retry(countdown=1)
    assert sent["queue"] == "node-unit"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "state"),
    [
        (DriverUnavailable("building routers needs root"), "unreachable"),
        (DriverCommandError("charon of r1 exited with 1"), "failed"),
    ],
    ids=["host-cannot-build", "this-router-failed"],
)
def test_it_says_why_a_router_could_not_be_built(node, on_node, monkeypatch, error, state) -> None:
    def refuse(*args: object) -> str:
        raise error

    monkeypatch.setattr(node.driver, "build", refuse)
    assert not node.build(on_node.pk)
    on_node.refresh_from_db()
    assert (on_node.state, on_node.state_reason) == (state, str(error))
