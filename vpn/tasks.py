"""Celery tasks of the VPN app: thin, ids only (never a secret); bodies call vpn.converge.

`reconcile_router`, `push_connection` and `reset_connection` run on the router's own queue
(see vpn/queues.py); the periodic sweep fans out one reconcile per router, so a lost message
only delays convergence.
"""

import logging
from collections.abc import Sequence
from typing import TypedDict

from celery import shared_task

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


@shared_task(name="vpn.reconcile_router", acks_late=True, reject_on_worker_lost=True, **RETRY)
def reconcile_router(router_id: int) -> None:
    from vpn import converge

    converge.reconcile_router(router_id)


@shared_task(name="vpn.push_connection", acks_late=True, reject_on_worker_lost=True, **RETRY)
def push_connection(connection_id: int) -> None:
    from vpn import converge

    converge.push_connection(connection_id)


@shared_task(name="vpn.reset_connection", acks_late=True, reject_on_worker_lost=True, **RETRY)
def reset_connection(connection_id: int) -> None:
    from vpn import converge

    converge.reset_connection(connection_id)


@shared_task(name="vpn.sweep_router", acks_late=True, reject_on_worker_lost=True, expires=10)
def sweep_router(router_id: int) -> None:
    """One list-sas per router: refresh counters and correct drift the events missed."""
    from vpn import converge

    converge.sweep_router(router_id)


@shared_task(name="vpn.reconcile_all", expires=25)
def reconcile_all() -> None:
    """The convergence guarantee (beat): a reconcile of every router on its own queue."""
    from network.models import Router
    from vpn.queues import send_reconcile

    for router in Router.objects.exclude(vici_uri="").only("id", "queue"):
        send_reconcile(router)


@shared_task(name="vpn.sweep_all", expires=4)
def sweep_all() -> None:
    from network.models import Router

    for router in Router.objects.exclude(vici_uri="").only("id", "queue"):
        sweep_router.apply_async(args=(router.pk,), queue=router.queue_name, expires=10)
