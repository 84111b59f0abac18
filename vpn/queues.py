"""Every enqueue of VPN work goes through here: to the router's network node, on commit.

Before a message leaves, `desired_changed` announces which router and connections are about to
change on the router side, for whoever wants to follow first (nothing in production listens;
a simulation of the customers' devices does).
"""

import logging

from django.db import transaction

from network import dispatch
from network.models import Router
from vpn.signals import desired_changed

log = logging.getLogger(__name__)


def _announce(router: Router, connection_ids: tuple[int, ...]) -> None:
    for receiver, result in desired_changed.send_robust(
        sender=Router, router_id=router.pk, connection_ids=connection_ids
    ):
        if isinstance(result, Exception):
            log.warning("desired_changed receiver %s failed: %s", receiver, result)


def _enqueue(router: Router, task: str, *args: int, connection_ids: tuple[int, ...] = ()) -> None:
    def _send() -> None:
        fresh = Router.objects.select_related("node").filter(pk=router.pk).first()
        if fresh is None:
            return
        _announce(fresh, connection_ids)
        dispatch.send(fresh.node, task, *args, what=f"router {router.pk}")

    transaction.on_commit(_send)


def enqueue_reconcile(router: Router) -> None:
    """Ask the router's node to converge it, once the current transaction has committed."""
    _enqueue(router, dispatch.RECONCILE_ROUTER, router.pk)


def enqueue_push(router: Router, connection_id: int) -> None:
    """Push one new connection to its router once committed (the fast path of an add)."""
    _enqueue(router, dispatch.PUSH_CONNECTION, connection_id, connection_ids=(connection_id,))


def enqueue_reset(router: Router, connection_id: int) -> None:
    _enqueue(router, dispatch.RESET_CONNECTION, connection_id, connection_ids=(connection_id,))
