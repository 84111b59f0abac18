"""The portal's periodic duties."""

from celery import shared_task

from portal import audit


@shared_task(name="portal.prune_audit_events")
def prune_audit_events() -> int:
    """Delete the audit events older than PORTAL_AUDIT_RETENTION_DAYS (beat, daily)."""
    return audit.prune()
