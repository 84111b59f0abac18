"""Every enqueue of VPN work goes through here: one Celery queue per router, on commit."""

import logging

from django.db import transaction

from network.models import Router

log = logging.getLogger(__name__)


def enqueue_reconcile(router: Router) -> None:
    """Ask the router's agent to converge, once the current transaction has committed."""
    router_id, queue = router.pk, router.queue_name

    def send() -> None:
        from vpn.tasks import reconcile_router

        reconcile_router.apply_async(args=[router_id], queue=queue)

    transaction.on_commit(send)


def enqueue_reset(router: Router, connection_id: int) -> None:
    queue = router.queue_name

    def send() -> None:
        from vpn.tasks import reset_connection

        reset_connection.apply_async(args=[connection_id], queue=queue)

    transaction.on_commit(send)


def after_router_provisioned(router: Router) -> None:
    """A lab router came up: let the lab's workers consume its queue, then converge it."""
    from portal.celery import app

    app.control.add_consumer(router.queue_name, reply=False)
    enqueue_reconcile(router)
