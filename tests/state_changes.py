"""A connection's state change as a node's agent records it (agent.record.record_many): the row
is written, then `vpn.signals.states_changed` is sent in the same transaction, in this process."""

from django.db import transaction
from django.utils import timezone

from vpn import signals
from vpn.models import VpnConnection


def record_state(connection: VpnConnection, state: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        VpnConnection.objects.filter(pk=connection.pk).update(state=state, state_changed=now)
        change = signals.StateChange(connection.pk, connection.state, state, "", now, "event-up")
        signals.states_changed.send_robust(sender=VpnConnection, changes=(change,))
