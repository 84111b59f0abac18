"""Retry soon after a refusal: the schedule (pure) and what counts as a refusal."""

import pytest

from agent import converge, retry
from agent.retry import RetrySchedule, retry_delay
from vpn.models import VpnConnection


def test_it_waits_5_seconds_then_doubles_up_to_the_cap():
    assert [retry_delay(n, cap=30) for n in range(6)] == [5, 10, 20, 30, 30, 30]


def _tries(schedule: RetrySchedule, failing: dict[int, str], until: float) -> list[float]:
    """The times (from 0, every 0.5 s) at which the schedule tries connection 1."""
    times, now = [], 0.0
    while now <= until:
        if schedule.due(failing, [], now):
            times.append(now)
        now += 0.5
    return times


def test_it_tries_a_refused_connection_at_5_10_20_then_every_30_seconds():
    assert _tries(RetrySchedule(cap=30), {1: "f"}, until=130) == [
        5.0,
        15.0,
        35.0,
        65.0,
        95.0,
        125.0,
    ]


def test_it_starts_again_after_the_connection_was_up():
    schedule = RetrySchedule(cap=30)
    _tries(schedule, {1: "f"}, until=60)  # three tries: the next is 30 s away
    schedule.due({}, [1], 61.0)
    schedule.due({1: "f"}, [], 62.0)
    assert schedule.due({1: "f"}, [], 67.0) == [1]


def test_it_starts_again_when_the_configuration_changed():
    schedule = RetrySchedule(cap=30)
    _tries(schedule, {1: "f"}, until=60)
    schedule.due({1: "changed"}, [], 61.0)
    assert schedule.due({1: "changed"}, [], 66.0) == [1]


def test_it_does_not_try_a_connection_that_is_negotiating():
    schedule = RetrySchedule(cap=30)
    schedule.due({1: "f"}, [], 0.0)
    assert schedule.due({}, [], 10.0) == []


def test_it_keeps_the_backoff_while_a_try_is_negotiating():
    schedule = RetrySchedule(cap=30)
    assert schedule.due({1: "f"}, [], 0.0) == []
    assert schedule.due({1: "f"}, [], 5.0) == [1]
    schedule.due({}, [], 6.0)  # the try negotiates (Connecting): not failing, not up
    assert schedule.due({1: "f"}, [], 12.0) == []  # the next try is due at 15 s, not 11 s


def test_it_tries_each_connection_on_its_own_schedule():
    schedule = RetrySchedule(cap=30)
    schedule.due({1: "f"}, [], 0.0)
    schedule.due({1: "f", 2: "g"}, [], 3.0)
    assert schedule.due({1: "f", 2: "g"}, [], 5.0) == [1]
    assert schedule.due({1: "f", 2: "g"}, [], 8.0) == [2]


@pytest.fixture
def connection(gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)


def _refused(connection, state: str, reason: str) -> dict[int, str]:  # type: ignore[no-untyped-def]
    VpnConnection.objects.filter(pk=connection.pk).update(state=state, state_reason=reason)
    refused, _, _ = retry.failing([connection.gateway.vpc.router.pk])
    return refused


@pytest.mark.django_db
def test_it_counts_a_refusal_by_the_device(connection) -> None:
    reason = "Authentication failed: the identities do not match (not the key)."
    assert connection.pk in _refused(connection, "error", reason)


@pytest.mark.django_db
@pytest.mark.parametrize("reason", [converge.ROUTER_DOWN, converge.REFUSED])
def test_it_leaves_errors_that_are_not_the_devices_to_the_resync(connection, reason) -> None:
    assert _refused(connection, "error", reason) == {}


@pytest.mark.django_db
def test_it_leaves_passive_connections_to_the_device(connection) -> None:
    VpnConnection.objects.filter(pk=connection.pk).update(passive=True)
    assert _refused(connection, "error", "Authentication failed: your device refused it.") == {}
