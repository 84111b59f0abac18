"""The VPN layer's periodic duties, run by the portal's worker."""

from celery import shared_task

from vpn import history


@shared_task(name="vpn.prune_history")
def prune_history() -> int:
    """Delete connection events and traffic samples older than PORTAL_HISTORY_RETENTION_DAYS
    (beat, daily)."""
    return history.prune()
