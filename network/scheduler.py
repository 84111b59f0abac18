"""Placement of routers on network nodes, and failover when a node stops heartbeating.

Like Neutron's least-routers scheduler: a router goes to the live, enabled, non-draining node
with room that runs the fewest routers (ties by name). Every placement increments the router's
generation; a node that holds an older generation (it was presumed dead and came back) removes
its copy before it does anything else (agent side). Nothing here opens a socket.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from network import dispatch
from network.choices import RouterState
from network.models import NetworkNode, Router, down_after
from portal import audit
from portal.choices import AuditAction

log = logging.getLogger(__name__)


def live_nodes() -> QuerySet[NetworkNode]:
    return NetworkNode.objects.filter(last_heartbeat__gte=timezone.now() - down_after())


def candidates(exclude: Iterable[int] = ()) -> QuerySet[NetworkNode]:
    """Nodes that may take one more router, least loaded first."""
    return (
        live_nodes()
        .filter(enabled=True, draining=False)
        .exclude(pk__in=list(exclude))
        .annotate(load=Count("routers"))
        .filter(load__lt=F("capacity"))
        .order_by("load", "name")
    )


def place(
    router: Router, *, exclude: Iterable[int] = (), reason: str = "", detach: bool = True
) -> NetworkNode | None:
    """Put the router on the best node (in the caller's transaction) and ask that node to build
    it on commit. None when no node can take it: the router then waits (Unscheduled), or with
    `detach=False` stays where it is."""
    with transaction.atomic():
        # One placement at a time, so two new routers never both see the same least load.
        list(NetworkNode.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        node = candidates(exclude).first()
        old = Router.objects.select_for_update().get(pk=router.pk)
        if node is None:
            if not detach:
                return None
            Router.objects.filter(pk=router.pk).update(
                node=None,
                state=RouterState.UNSCHEDULED,
                state_reason=reason or "No live network node with room.",
            )
            log.warning("router %s unscheduled: no live network node with room", router.pk)
            return None
        Router.objects.filter(pk=router.pk).update(
            node=node,
            generation=F("generation") + 1,
            state=RouterState.PROVISIONING,
            state_reason=reason or f"Placed on {node.name}.",
        )
        dispatch.to_node(node, dispatch.BUILD_ROUTER, router.pk)
        router.refresh_from_db(fields=["node", "generation", "state", "state_reason"])
        if old.node_id is not None and old.node_id != node.pk:
            dispatch.to_node(old.node, dispatch.REMOVE_ROUTER, router.pk)  # type: ignore[arg-type]
    log.info(
        "router %s placed on node %s (was %s, generation %s)",
        router.pk,
        node.name,
        old.node_id,
        old.generation + 1,
    )
    return node


def move(router: Router, node: NetworkNode) -> None:
    """An operator's move: the router is rebuilt on `node` and removed from its old node."""
    with transaction.atomic():
        old = Router.objects.select_for_update().get(pk=router.pk)
        if old.node_id == node.pk:
            return
        Router.objects.filter(pk=router.pk).update(
            node=node,
            generation=F("generation") + 1,
            state=RouterState.PROVISIONING,
            state_reason=f"Moved by an operator to {node.name}.",
        )
        dispatch.to_node(node, dispatch.BUILD_ROUTER, router.pk)
        if old.node is not None:
            dispatch.to_node(old.node, dispatch.REMOVE_ROUTER, router.pk)
        audit.record(
            AuditAction.MOVED,
            old,
            detail={"from": old.node.name if old.node else "", "to": node.name},
        )
    log.info("router %s moved from node %s to %s", router.pk, old.node_id, node.name)


def down_nodes() -> QuerySet[NetworkNode]:
    """Nodes that still hold routers but have missed their heartbeats (or were disabled)."""
    threshold = timezone.now() - down_after()
    return (
        NetworkNode.objects.filter(
            Q(last_heartbeat__lt=threshold) | Q(last_heartbeat__isnull=True) | Q(enabled=False)
        )
        .filter(routers__isnull=False)
        .distinct()
    )


def failover() -> int:
    """Reschedule every router of a down or disabled node; returns how many moved."""
    moved = 0
    for node in down_nodes():
        why = (
            f"Node {node.name} is disabled."
            if not node.enabled
            else f"Node {node.name} missed its heartbeats (last {node.last_heartbeat})."
        )
        for router in Router.objects.filter(node=node).order_by("pk"):
            if place(router, exclude=[node.pk], reason=why, detach=False) is not None:
                moved += 1
            else:
                Router.objects.filter(pk=router.pk).update(
                    state=RouterState.UNREACHABLE, state_reason=why + " No other node can take it."
                )
    return moved


def schedule_waiting() -> int:
    """Place the routers that no node could take before."""
    placed = 0
    for router in Router.objects.filter(node__isnull=True).order_by("pk"):
        placed += place(router) is not None
    return placed


def check() -> None:
    """The periodic duty of the portal (beat): place waiting routers, fail over down nodes."""
    schedule_waiting()
    if settings.NETWORK_AUTO_FAILOVER:
        failover()
