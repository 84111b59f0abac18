"""The Celery tasks of a network node's agent: thin, ids only (never a secret), consumed only
from this node's own queue (network/dispatch.py sends them by name). Each body is one call into
agent.node or agent.converge, which refuse a router this node does not own.
"""

import logging
import time
from collections.abc import Sequence
from typing import Any, TypedDict

from celery import Task, shared_task
from celery.signals import task_prerun

from agent import converge, measure
from agent.node import this_node
from network import dispatch
from network.models import NetworkNode
from vpn.strongswan.errors import RouterUnreachable

log = logging.getLogger(__name__)


class RetryOptions(TypedDict):
    """``shared_task`` keyword arguments for retrying what is transient."""

    autoretry_for: Sequence[type[BaseException]]
    retry_backoff: int
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int


RETRY: RetryOptions = {
    "autoretry_for": (RouterUnreachable,),
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "retry_jitter": True,
    "max_retries": 6,
}
# A moved router is built once its old node no longer reports it (or is dead), so the public
# address is never on two nodes at once; after this many seconds it is built regardless.
HANDOVER_WAIT = 15


class NodeTask(Task):
    """A task of this node: its retries go back to this node's own queue (Celery would send
    them to the default queue, where no agent listens)."""

    def retry(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("queue", this_node().config.queue)
        return super().retry(*args, **kwargs)


@shared_task(name="agent.build_router", base=NodeTask, acks_late=True, reject_on_worker_lost=True)
def build_router(router_id: int) -> None:
    """Build the router here. A moved router waits (up to HANDOVER_WAIT seconds) until no other
    live node reports it, so its public address is never up on two nodes at once."""
    node = this_node()
    deadline = time.monotonic() + HANDOVER_WAIT
    while holders := _holders(node.config.name, router_id):
        if time.monotonic() > deadline:
            log.warning("router %s: %s still hold it; building anyway", router_id, holders)
            break
        log.info("router %s: waiting for %s to let it go", router_id, holders)
        time.sleep(0.5)
    node.build(router_id)


def _holders(me: str, router_id: int) -> str:
    """The other live nodes whose last heartbeat reported this router, by name."""
    return ", ".join(
        other.name
        for other in NetworkNode.objects.exclude(name=me)
        if router_id in (other.running_routers or []) and other.is_alive()
    )


@shared_task(name="agent.remove_router", base=NodeTask, acks_late=True, reject_on_worker_lost=True)
def remove_router(router_id: int) -> None:
    """Remove this node's copy, unless the router (still or again) belongs here."""
    node = this_node()
    if router_id in node.owned():
        log.info("remove_router %s: it belongs here (again); kept", router_id)
        return
    node.remove(router_id)
    node.heartbeat()  # the new node waits for this node to let the router go


@shared_task(
    name="agent.reconcile_router",
    base=NodeTask,
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY,
)
def reconcile_router(router_id: int) -> None:
    with measure.timed(this_node().config.run_dir, "reconcile_seconds"):
        converge.reconcile_router(router_id)


@shared_task(
    name="agent.push_connection", base=NodeTask, acks_late=True, reject_on_worker_lost=True, **RETRY
)
def push_connection(connection_id: int) -> None:
    with measure.timed(this_node().config.run_dir, "push_seconds"):
        converge.push_connection(connection_id)


@shared_task(
    name="agent.reset_connection",
    base=NodeTask,
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY,
)
def reset_connection(connection_id: int) -> None:
    converge.reset_connection(connection_id)


@task_prerun.connect
def measure_latency(task: Task | None = None, **kwargs: Any) -> None:
    """How long an agent task waited between the portal's send and its start here: first
    deliveries only (a retry or a task with an ETA waits on purpose)."""
    if task is None or not task.name.startswith("agent."):
        return
    request = task.request
    sent = getattr(request, dispatch.SENT_AT, None)
    if not isinstance(sent, int | float) or request.retries or request.eta:
        return
    measure.observe(this_node().config.run_dir, "task_latency_seconds", time.time() - sent)
