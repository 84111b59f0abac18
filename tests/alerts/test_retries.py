"""A failed delivery is tried again with backoff, then given up; a sent one is not sent again."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from alerts import detect, sending
from alerts.choices import Channel, DeliveryStatus, IncidentState, MessageKind
from alerts.models import Delivery, Incident
from vpn.choices import ConnectionState

pytestmark = pytest.mark.django_db


def test_it_backs_off_30s_2m_8m_30m_then_gives_up() -> None:
    delays = [sending.retry_delay(n, random.Random(1)) for n in range(1, 6)]
    assert delays[-1] is None
    for delay, base in zip(delays[:-1], (30, 120, 480, 1800), strict=True):
        assert delay is not None
        assert base * 0.8 <= delay.total_seconds() <= base * 1.2


def test_it_spreads_retries_with_jitter() -> None:
    delays = {sending.retry_delay(1, random.Random(seed)) for seed in range(5)}
    assert len(delays) == 5


@pytest.fixture
def webhook_delivery(alert_settings) -> Delivery:  # type: ignore[no-untyped-def]
    """A webhook delivery to a URL refused at send time (a private address)."""
    return Delivery.objects.create(
        account=alert_settings.account,
        channel=Channel.WEBHOOK,
        kind=MessageKind.TEST,
        target="https://10.9.9.9/hook",
        body={"account": "acme", "incident": None, "kind": "test", "connections": []},
        next_try=timezone.now(),
    )


def test_it_records_a_failed_attempt_and_schedules_the_next(webhook_delivery) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    assert sending.deliver(webhook_delivery.pk, now) == DeliveryStatus.PENDING
    webhook_delivery.refresh_from_db()
    assert webhook_delivery.attempts == 1
    assert "private address" in webhook_delivery.last_error
    assert timedelta(seconds=24) <= webhook_delivery.next_try - now <= timedelta(seconds=36)


def test_it_does_not_try_before_the_next_try(webhook_delivery) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    sending.deliver(webhook_delivery.pk, now)
    assert sending.deliver(webhook_delivery.pk, now + timedelta(seconds=10)) is None


def test_it_gives_up_after_the_fifth_attempt(webhook_delivery) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    for _ in range(5):
        sending.deliver(webhook_delivery.pk, now)
        now += timedelta(hours=1)
    webhook_delivery.refresh_from_db()
    assert (webhook_delivery.status, webhook_delivery.attempts) == (DeliveryStatus.FAILED, 5)
    assert webhook_delivery.next_try is None


def test_it_sends_an_email_once(alert_settings) -> None:  # type: ignore[no-untyped-def]
    delivery = Delivery.objects.create(
        account=alert_settings.account,
        channel=Channel.EMAIL,
        kind=MessageKind.TEST,
        target="ops@example.com, noc@example.com",
        body={"account": "acme", "incident": None, "kind": "test", "connections": []},
        next_try=timezone.now(),
    )
    assert sending.deliver(delivery.pk) == DeliveryStatus.SENT
    assert sending.deliver(delivery.pk) is None
    assert [message.to for message in mail.outbox] == [["ops@example.com", "noc@example.com"]]


def test_it_marks_the_incident_notified_once_its_down_message_is_sent(
    alert_settings, make_connection
) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    make_connection(ConnectionState.DISCONNECTED, now - timedelta(minutes=6))
    (delivery_id,) = detect.scan(now).deliveries
    sending.deliver(delivery_id)
    assert Incident.objects.get().state == IncidentState.NOTIFIED
