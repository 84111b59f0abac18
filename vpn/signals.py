"""What the VPN layer announces, for the layers above it (it imports none of them)."""

from django.dispatch import Signal

# The router side of these connections (or of every connection of the router, when
# connection_ids is empty) is about to change: sender=Router, router_id=int,
# connection_ids=tuple[int, ...]. Sent in the committing process just before the router's node
# is asked to act.
desired_changed = Signal()

# A connection's observed state changed, as recorded by a node's agent (the monitor, the sweep
# or a reconcile): sender=VpnConnection, connection_id=int, old_state=str, state=str,
# reason=str, at=datetime, event=str (vpn.strongswan.states.Event: what was observed). Sent
# right after the row was written (the write is its own autocommit), in the agent's process;
# receivers must be quick and must not raise (they run inside the agent's supervision loop).
state_changed = Signal()
