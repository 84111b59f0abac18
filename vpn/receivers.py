"""How the VPN layer answers what the network layer announces."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from network.models import Router
from network.signals import router_ready
from vpn import queues
from vpn.models.policy import CryptoRule, forget_crypto_rules


@receiver(router_ready)
def push_everything_to_a_ready_router(sender: type[Router], router_id: int, **_: Any) -> None:
    """A router built or rebuilt on its node gets every connection of its VPC (a reconcile)."""
    router = Router.objects.filter(pk=router_id).first()
    if router is not None:
        queues.enqueue_reconcile(router)


@receiver(post_save, sender=CryptoRule)
@receiver(post_delete, sender=CryptoRule)
def forget_the_cached_crypto_policy(sender: type[CryptoRule], **_: Any) -> None:
    """At once (this process reads its own change) and again on commit (a process that read
    the old rows in between must not keep them)."""
    forget_crypto_rules()
    transaction.on_commit(forget_crypto_rules)
