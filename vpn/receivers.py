"""How the VPN layer answers what the network layer announces."""

from typing import Any

from django.dispatch import receiver

from network.models import Router
from network.signals import router_ready
from vpn import queues


@receiver(router_ready)
def push_everything_to_a_ready_router(sender: type[Router], router_id: int, **_: Any) -> None:
    """A router built or rebuilt on its node gets every connection of its VPC (a reconcile)."""
    router = Router.objects.filter(pk=router_id).first()
    if router is not None:
        queues.enqueue_reconcile(router)
