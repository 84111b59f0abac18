"""How the VPN layer answers what the network layer announces."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from network.models import Router
from network.signals import router_ready
from vpn import history, queues, signals
from vpn.choices import EVENT_OF_STATE
from vpn.models import VpnConnection
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


@receiver(signals.states_changed)
def write_the_changes_into_the_timeline(
    sender: type[VpnConnection], changes: Sequence[signals.StateChange], **_: Any
) -> None:
    """Up, down (with its reason), error, negotiating: in the agent's process, through its role,
    one INSERT for the batch. A reset's own change is the reset's event
    (agent.converge.reset_connection writes it)."""
    history.record_changes(
        [
            history.Change(
                connection_id=change.connection_id,
                kind=EVENT_OF_STATE[change.state],
                state=change.state,
                reason=change.reason,
                at=change.at,
                detail={"observed": change.event, "from": change.old_state},
            )
            for change in changes
            if change.event != "reset"
        ]
    )
