"""Retry soon after a refusal: a connection the device refused (authentication, proposals,
networks) is tried again after 5 s, then 10 s, 20 s, ... up to the resync period (the
periodic reconcile, 30 s, which retries everything anyway), so a tenant who fixes their device
sees the tunnel come up within seconds, without pressing Reset and without the router
hammering a device that keeps refusing. Connected, or a changed configuration (a new pushed
fingerprint), starts the schedule again. Reset is still "try now" (agent.converge).

`RetrySchedule` is pure (no database, no clock: `now` is passed in); `failing()` reads what it
needs from the database; the agent's loop (network_agent) sends the due ones a push, which
initiates a connection that has no IKE SA (vpn.reconcile.plan) and does nothing otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agent.converge import PSK_UNREADABLE, REFUSED, ROUTER_DOWN
from vpn.choices import ConnectionState
from vpn.models import VpnConnection

FIRST_DELAY = 5.0
# Errors that are not the device's refusal: another try at the device changes nothing (the
# router's charon is down, our key cannot be read, charon refused our own configuration).
NOT_REFUSALS = frozenset({ROUTER_DOWN, PSK_UNREADABLE, REFUSED})


def retry_delay(attempts: int, *, cap: float, first: float = FIRST_DELAY) -> float:
    """Seconds until the next try after `attempts` tries since the failure: 5, 10, 20, 40 ...
    (with the defaults), never more than `cap`."""
    return min(first * 2**attempts, cap)


@dataclass
class _Backoff:
    fingerprint: str
    attempts: int
    due: float


class RetrySchedule:
    """When to try each failing connection again."""

    def __init__(self, cap: float, first: float = FIRST_DELAY) -> None:
        self.cap, self.first = cap, first
        self._backoff: dict[int, _Backoff] = {}

    def due(self, failing: Mapping[int, str], up: Iterable[int], now: float) -> list[int]:
        """The connections to try now. `failing`: connection id -> pushed fingerprint of each
        connection the device refused; `up`: those Connected (their schedule ends). Any other
        connection (negotiating, gone) keeps its schedule and is not tried."""
        for connection_id in up:
            self._backoff.pop(connection_id, None)
        tried = []
        for connection_id, fingerprint in sorted(failing.items()):
            backoff = self._backoff.get(connection_id)
            if backoff is None or backoff.fingerprint != fingerprint:
                first_due = now + retry_delay(0, cap=self.cap, first=self.first)
                self._backoff[connection_id] = _Backoff(fingerprint, 0, first_due)
            elif now >= backoff.due:
                backoff.attempts += 1
                backoff.due = now + retry_delay(backoff.attempts, cap=self.cap, first=self.first)
                tried.append(connection_id)
        return tried

    def forget(self, keep: Iterable[int]) -> None:
        """Drop the schedules of connections not in `keep` (deleted, moved away)."""
        kept = set(keep)
        for connection_id in [c for c in self._backoff if c not in kept]:
            del self._backoff[connection_id]


def failing(router_ids: Iterable[int]) -> tuple[dict[int, str], list[int], list[int]]:
    """For these routers' active connections: (refused: id -> pushed fingerprint, Connected
    ids, all ids). Passive connections are left out: the device initiates them."""
    rows = VpnConnection.objects.filter(
        gateway__vpc__router__id__in=list(router_ids), passive=False
    ).values_list("pk", "state", "state_reason", "pushed_fingerprint")
    refused: dict[int, str] = {}
    up: list[int] = []
    every: list[int] = []
    for pk, state, reason, fingerprint in rows:
        every.append(pk)
        if state == ConnectionState.CONNECTED:
            up.append(pk)
        elif (
            state in (ConnectionState.ERROR, ConnectionState.DISCONNECTED)
            and reason not in NOT_REFUSALS
        ):
            refused[pk] = fingerprint or ""
    return refused, up, every
