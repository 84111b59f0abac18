"""Celery tasks of the alerts app (the portal's own worker): thin, ids only."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone
from kombu.exceptions import OperationalError

from alerts import detect, sending

log = logging.getLogger(__name__)


@shared_task(name="alerts.scan", expires=25)
def scan() -> None:
    """Open, grow and close incidents; send every delivery that is due (new ones and retries:
    beat's sweep is the guarantee, the message at the end of an action the fast path)."""
    now = timezone.now()
    detect.scan(now)
    for delivery_id in sending.due(now):
        enqueue(delivery_id)


@shared_task(name="alerts.deliver")
def deliver(delivery_id: int) -> None:
    sending.deliver(delivery_id)


def enqueue(delivery_id: int) -> None:
    """Send one delivery by the portal's worker; a broker outage leaves it to beat's sweep."""
    try:
        deliver.delay(delivery_id)
    except OperationalError as error:
        log.warning("broker unavailable, alert delivery %s left to beat: %s", delivery_id, error)
