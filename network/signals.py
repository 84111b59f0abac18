"""What the network layer announces, for the layers above it to act on (it imports none)."""

from django.dispatch import Signal

# A router was built (or rebuilt) on its node and its charon answers: sender=Router,
# router_id=int. The VPN layer pushes every connection of the router then.
router_ready = Signal()
