"""Sending one delivery, and when to try it again.

A delivery is claimed by a conditional UPDATE (its next try moved a lease ahead), so two workers
(or a late message and beat's sweep of due deliveries) never send it twice at once, and a worker
that dies mid-send leaves it to be tried again when the lease ends. A failure is tried again
after 30 s, 2 min, 8 min and 30 min (each ±20 %, so that many failed receivers do not all come
back at once); after the fifth failed attempt it is given up as failed.
"""

from __future__ import annotations

import logging
import random
import smtplib
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone

from alerts import messages, webhook
from alerts.choices import Channel, DeliveryStatus, IncidentState, MessageKind
from alerts.models import AlertSettings, Delivery, Incident
from vpn import crypto

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (30, 2 * 60, 8 * 60, 30 * 60)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
JITTER = 0.2
LEASE = timedelta(minutes=5)  # above the email and webhook timeouts


def retry_delay(failed_attempts: int, rand: random.Random | None = None) -> timedelta | None:
    """How long to wait after the `failed_attempts`-th failure; None: give up."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    base = BACKOFF_SECONDS[failed_attempts - 1]
    factor = 1 + (rand or random).uniform(-JITTER, JITTER)  # spreads retries (not a secret)
    return timedelta(seconds=base * factor)


def claim(delivery_id: int, now: datetime) -> Delivery | None:
    """The delivery when it is pending and due, leased to this caller; else None."""
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_try__lte=now
    ).update(next_try=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return Delivery.objects.select_related("account").get(pk=delivery_id)


def deliver(delivery_id: int, now: datetime | None = None) -> DeliveryStatus | None:
    """Try one delivery once (when it is due); its new status, or None when it was not due."""
    now = now or timezone.now()
    delivery = claim(delivery_id, now)
    if delivery is None:
        return None
    try:
        _send(delivery)
    # ValueError: a header Django refuses to write (BadHeaderError) is no transient failure, but
    # it is recorded like one, so that the tenant sees it and it ends as failed.
    except (OSError, ValueError, smtplib.SMTPException, ValidationError) as error:
        return _failed(delivery, _describe(error), now)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), next_try=None, last_error=""
    )
    if delivery.kind == MessageKind.DOWN and delivery.incident_id is not None:
        Incident.objects.filter(pk=delivery.incident_id, state=IncidentState.OPEN).update(
            state=IncidentState.NOTIFIED
        )
    log.info("alert delivery %s (%s, %s) sent", delivery.pk, delivery.channel, delivery.kind)
    return DeliveryStatus.SENT


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return f"{type(error).__name__}: {error}"[:500]


def _failed(delivery: Delivery, reason: str, now: datetime) -> DeliveryStatus:
    delay = retry_delay(delivery.attempts)
    if delay is None:
        status, next_try = DeliveryStatus.FAILED, None
    else:
        status, next_try = DeliveryStatus.PENDING, now + delay
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, next_try=next_try, last_error=reason[:500]
    )
    log.warning(
        "alert delivery %s (%s) attempt %s failed: %s; %s",
        delivery.pk,
        delivery.channel,
        delivery.attempts,
        reason,
        "giving up" if next_try is None else f"next try at {next_try.isoformat()}",
    )
    return status


def _send(delivery: Delivery) -> None:
    if delivery.channel == Channel.EMAIL:
        send_mail(
            messages.subject(delivery),
            messages.text(delivery),
            settings.DEFAULT_FROM_EMAIL,
            [address.strip() for address in delivery.target.split(",")],
        )
        return
    # The account's current secret signs (a rotation takes effect on the next try); the URL is
    # the one the message was made for, checked again now.
    target = webhook.check(delivery.target)
    alert_settings = AlertSettings.objects.get(account_id=delivery.account_id)
    secret = crypto.decrypt(alert_settings.webhook_secret)
    body = messages.encoded(delivery)
    timestamp = int(time.time())
    webhook.post(
        target,
        body,
        {
            webhook.TIMESTAMP_HEADER: str(timestamp),
            webhook.SIGNATURE_HEADER: webhook.sign(secret, timestamp, body),
            webhook.DELIVERY_HEADER: str(delivery.pk),
        },
    )


def due(now: datetime) -> list[int]:
    """Pending deliveries whose next try has come (beat sends them)."""
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_try__lte=now)
        .order_by("next_try")
        .values_list("pk", flat=True)[:500]
    )
