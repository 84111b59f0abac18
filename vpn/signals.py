"""What the VPN layer announces, for the layers above it (it imports none of them)."""

from django.dispatch import Signal

# The router side of these connections (or of every connection of the router, when
# connection_ids is empty) is about to change: sender=Router, router_id=int,
# connection_ids=tuple[int, ...]. Sent in the committing process just before the router's node
# is asked to act.
desired_changed = Signal()
