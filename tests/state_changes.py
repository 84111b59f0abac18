"""A connection's state change as a node's agent records it (agent.converge.record): the row is
written, then `vpn.signals.state_changed` is sent, in this process."""

from django.utils import timezone

from vpn import signals
from vpn.models import VpnConnection


def record_state(connection: VpnConnection, state: str) -> None:
    now = timezone.now()
    VpnConnection.objects.filter(pk=connection.pk).update(state=state, state_changed=now)
    signals.state_changed.send_robust(
        sender=VpnConnection,
        connection_id=connection.pk,
        old_state=connection.state,
        state=state,
        reason="",
        at=now,
        event="up",
    )
