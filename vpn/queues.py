"""Every enqueue of VPN work goes through here: one Celery queue per router, on commit."""

import logging

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

from network.models import Router

log = logging.getLogger(__name__)


def send_reconcile(router: Router) -> None:
    """Ask the router's agent to converge now. A broker outage is logged, not raised: the
    periodic reconcile of every router (beat) is the guarantee, this message the fast path."""
    from vpn.tasks import reconcile_router

    _send(reconcile_router, router, router.pk)


def enqueue_reconcile(router: Router) -> None:
    """Ask the router's agent to converge, once the current transaction has committed."""
    transaction.on_commit(lambda: send_reconcile(router))


def _send(task: Task[..., None], router: Router, *args: int) -> None:
    try:
        task.apply_async(args=args, queue=router.queue_name)
    except OperationalError as error:
        log.warning(
            "broker unavailable, %s for router %s left to the periodic sweep: %s",
            task.name,
            router.pk,
            error,
        )


def enqueue_push(router: Router, connection_id: int) -> None:
    """Push one new connection to its router once committed (the fast path of an add)."""
    from vpn.tasks import push_connection

    transaction.on_commit(lambda: _send(push_connection, router, connection_id))


def enqueue_reset(router: Router, connection_id: int) -> None:
    from vpn.tasks import reset_connection

    transaction.on_commit(lambda: _send(reset_connection, router, connection_id))


def after_router_provisioned(router: Router) -> None:
    """A lab router came up: let the lab's workers consume its queue, then converge it."""
    from portal.celery import app

    app.control.add_consumer(router.queue_name, reply=False)
    enqueue_reconcile(router)
