"""The platform's health as operators see it: one function, `platform_health()`, read from the
database (and the broker's queue lengths) at the moment it is called, for both the Prometheus
endpoint (vpn/metrics.py) and the admin's "Platform health" page, so the two never disagree.

Nothing here is cached or kept between calls: every figure is counted afresh.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.utils import timezone
from kombu.exceptions import OperationalError

from network.choices import ROUTER_STATE_STYLE, RouterState
from network.models import NetworkNode, Router
from portal.badges import Badge
from portal.celery import app
from vpn.choices import ConnectionState
from vpn.models import VpnConnection

RECENT_ERRORS = 20
# Routers in these states are the ones an operator looks at first.
TROUBLED = (RouterState.UNREACHABLE, RouterState.FAILED, RouterState.RESTARTING)


@dataclass(frozen=True)
class NodeHealth:
    name: str
    queue: str
    alive: bool
    heartbeat_age: float | None  # seconds since the last heartbeat; None: never
    enabled: bool
    draining: bool
    capacity: int
    running_routers: int  # what the agent reported running
    placed_routers: int  # what the database places on it
    last_error: str
    measurements: dict[str, Any]


@dataclass(frozen=True)
class RouterHealth:
    pk: int
    vpc: str
    node: str  # "" when not placed
    state: str
    reason: str
    restarts: int
    reconciles: int
    last_seen: datetime | None

    @property
    def state_label(self) -> str:
        return str(RouterState(self.state).label)

    @property
    def state_style(self) -> Badge:
        return ROUTER_STATE_STYLE[self.state]


@dataclass(frozen=True)
class RecentError:
    pk: int
    account: str
    vpc: str
    customer_gateway: str
    reason: str
    operator_detail: str
    since: datetime


@dataclass(frozen=True)
class Health:
    at: datetime
    # (node name or "" when its router is not placed, state) -> connections
    node_connections: dict[tuple[str, str], int]
    routers: list[RouterHealth]
    nodes: list[NodeHealth]
    with_operator_detail: int
    recent_errors: list[RecentError]
    # queue -> messages waiting; None when the broker did not answer
    queues: dict[str, int] | None
    connections: dict[str, int] = field(init=False)
    router_states: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        connections = dict.fromkeys(ConnectionState.values, 0)
        for (_, state), count in self.node_connections.items():
            connections[state] = connections.get(state, 0) + count
        routers = dict.fromkeys(RouterState.values, 0)
        routers.update(Counter(router.state for router in self.routers))
        object.__setattr__(self, "connections", connections)
        object.__setattr__(self, "router_states", routers)

    @property
    def node_routers(self) -> dict[tuple[str, str], int]:
        """(node name or "", state) -> routers."""
        return dict(Counter((router.node, router.state) for router in self.routers))

    @property
    def troubled_routers(self) -> list[RouterHealth]:
        return [router for router in self.routers if router.state in TROUBLED]


def platform_health() -> Health:
    """Every figure, counted now (five queries and one round trip to the broker)."""
    now = timezone.now()
    node_connections = {
        (row["gateway__vpc__router__node__name"] or "", row["state"]): row["count"]
        for row in VpnConnection.objects.order_by()
        .values("gateway__vpc__router__node__name", "state")
        .annotate(count=Count("pk"))
    }
    routers = [
        RouterHealth(
            pk=row["pk"],
            vpc=row["vpc__name"],
            node=row["node__name"] or "",
            state=row["state"],
            reason=row["state_reason"],
            restarts=row["restarts"],
            reconciles=row["reconcile_count"],
            last_seen=row["last_seen"],
        )
        for row in Router.objects.order_by("pk").values(
            "pk",
            "vpc__name",
            "node__name",
            "state",
            "state_reason",
            "restarts",
            "reconcile_count",
            "last_seen",
        )
    ]
    placed = Counter(router.node for router in routers)
    nodes = [
        NodeHealth(
            name=node.name,
            queue=node.queue,
            alive=node.is_alive(now),
            heartbeat_age=(
                (now - node.last_heartbeat).total_seconds() if node.last_heartbeat else None
            ),
            enabled=node.enabled,
            draining=node.draining,
            capacity=node.capacity,
            running_routers=len(node.running_routers or []),
            placed_routers=placed.get(node.name, 0),
            last_error=node.last_error,
            measurements=node.measurements if isinstance(node.measurements, dict) else {},
        )
        for node in NetworkNode.objects.order_by("name")
    ]
    return Health(
        at=now,
        node_connections=node_connections,
        routers=routers,
        nodes=nodes,
        with_operator_detail=VpnConnection.objects.exclude(operator_detail="").count(),
        recent_errors=recent_errors(),
        queues=queue_depths([app.conf.task_default_queue, *(node.queue for node in nodes)]),
    )


def recent_errors(limit: int = RECENT_ERRORS) -> list[RecentError]:
    """The connections in Error, most recent first, with charon's words for operators."""
    rows = (
        VpnConnection.objects.filter(state=ConnectionState.ERROR)
        .order_by("-state_changed", "-pk")
        .values(
            "pk",
            "gateway__vpc__account__name",
            "gateway__vpc__name",
            "customer_gateway__name",
            "state_reason",
            "operator_detail",
            "state_changed",
        )[:limit]
    )
    return [
        RecentError(
            pk=row["pk"],
            account=row["gateway__vpc__account__name"],
            vpc=row["gateway__vpc__name"],
            customer_gateway=row["customer_gateway__name"],
            reason=row["state_reason"],
            operator_detail=row["operator_detail"],
            since=row["state_changed"],
        )
        for row in rows
    ]


def queue_depths(queues: list[str]) -> dict[str, int] | None:
    """Messages waiting in each Celery queue (the broker's own count: with Redis, the lengths
    of the queue's lists under the broker's key prefix); None when the broker does not answer.
    A queue nobody has sent to yet has no list: 0."""
    connection = app.connection_for_read()
    failures: tuple[type[BaseException], ...] = (
        OperationalError,
        *connection.connection_errors,
        *connection.channel_errors,
    )
    try:
        connection.ensure_connection(max_retries=0)  # a scrape does not wait
        channel: Any = connection.default_channel
        # kombu's own count of a queue (what queue_declare reports as message_count; its
        # passive declare itself cannot be used: kombu 5.7 looks for the queue without the
        # broker's global key prefix and finds none).
        return {queue: int(channel._size(queue)) for queue in queues}
    except failures:
        return None
    finally:
        connection.release()
