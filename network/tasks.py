"""Celery tasks of the network app (the portal's own worker): thin, ids only."""

from celery import shared_task

from network import scheduler


@shared_task(name="network.check_nodes", expires=10)
def check_nodes() -> None:
    """Place waiting routers; rebuild the routers of nodes that stopped heartbeating."""
    scheduler.check()
