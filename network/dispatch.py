"""Every message to a network node goes through here: to the queue of the router's own node,
by task name (the tasks live on the agent side, which the portal never imports), on commit.

There is no broadcast: a message names one node's queue, and only that node's agent consumes
it. A broker outage is logged, not raised: each agent's periodic reconcile of its routers is the
guarantee, a message the fast path.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from kombu.exceptions import OperationalError

from network.models import NetworkNode, Router
from portal.celery import app

log = logging.getLogger(__name__)

# The agent's tasks (agent/tasks.py), by name.
BUILD_ROUTER = "agent.build_router"
REMOVE_ROUTER = "agent.remove_router"
RECONCILE_ROUTER = "agent.reconcile_router"
PUSH_CONNECTION = "agent.push_connection"
RESET_CONNECTION = "agent.reset_connection"
# A header on every message: when the portal sent it (Unix time), so that the node's agent
# measures how long it waited in the queue (agent/measure.py).
SENT_AT = "s2s_sent_at"


def send(node: NetworkNode | None, task: str, *args: int, what: str = "") -> bool:
    """Send `task(*args)` to `node`'s queue now; False when there is no node or no broker."""
    if node is None:
        log.info("%s(%s) not sent: %s has no network node yet", task, args, what or "router")
        return False
    try:
        app.send_task(task, args=args, queue=node.queue, headers={SENT_AT: time.time()})
    except OperationalError as error:
        log.warning(
            "broker unavailable, %s%s for node %s left to its agent: %s",
            task,
            args,
            node.name,
            error,
        )
        return False
    return True


def to_router(router: Router, task: str, *args: int) -> None:
    """Send `task(*args)` to the router's node once the current transaction has committed.

    The node is read at commit time, so a router moved in the same transaction is reached on
    its new node."""

    def _send() -> None:
        node = NetworkNode.objects.filter(routers=router.pk).first()
        send(node, task, *args, what=f"router {router.pk}")

    transaction.on_commit(_send)


def to_node(node: NetworkNode, task: str, *args: int) -> None:
    """Send `task(*args)` to this very node once committed (e.g. a removal on the old node)."""
    transaction.on_commit(lambda: send(node, task, *args))
