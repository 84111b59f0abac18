"""What the VPN layer announces, for the layers above it (it imports none of them)."""

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal

# The router side of these connections (or of every connection of the router, when
# connection_ids is empty) is about to change: sender=Router, router_id=int,
# connection_ids=tuple[int, ...]. Sent in the committing process just before the router's node
# is asked to act.
desired_changed = Signal()

# Connections' observed states changed, as recorded by a node's agent (the monitor, the sweep
# or a reconcile): sender=VpnConnection, changes=tuple[StateChange, ...], one for each row
# written (a monitor or a sweep writes every change it saw meanwhile in one statement, so a
# thousand tunnels coming up cost one signal, not a thousand). Sent inside the transaction
# that wrote the rows, in the agent's process: a receiver's writes commit with them, and what
# must follow the commit (a publish) goes through transaction.on_commit. Receivers must be
# quick, must not raise (they run inside the agent's supervision loop) and should handle the
# batch at once.
states_changed = Signal()


@dataclass(frozen=True)
class StateChange:
    """One connection's recorded change; `event` is vpn.strongswan.states.Event (what was
    observed)."""

    connection_id: int
    old_state: str
    state: str
    reason: str
    at: datetime
    event: str
