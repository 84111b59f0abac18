"""The alert of an incident and its recovery reach a real SMTP server and a real HTTP receiver
(the tasks run in-process; tests/e2e/test_alerts.py runs them by the portal's worker and beat)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import actions, sending, tasks, webhook
from alerts.choices import DeliveryStatus
from alerts.models import AlertSettings, Delivery
from tests.alerts.conftest import set_state
from tests.alerts.receivers import Hook, Inbox, free_port, http_receiver, smtp_server
from vpn.choices import ConnectionState

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(settings) -> Iterator[Inbox]:  # type: ignore[no-untyped-def]
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    with smtp_server(port) as received:
        yield received


@pytest.fixture
def hook(settings) -> Iterator[Hook]:  # type: ignore[no-untyped-def]
    settings.PORTAL_ALERT_ALLOW_LOOPBACK = True
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def configured(alice, hook) -> tuple[AlertSettings, str]:  # type: ignore[no-untyped-def]
    alert_settings = AlertSettings(
        account=alice.account,
        email_enabled=True,
        emails=["noc@example.com"],
        webhook_enabled=True,
        webhook_url=hook.url,
        down_after_minutes=5,
    )
    secret = actions.save_settings(alert_settings)
    return alert_settings, secret


def _send_due() -> None:
    for delivery_id in sending.due(timezone.now()):
        sending.deliver(delivery_id)


def test_it_mails_and_posts_one_signed_message_per_incident_and_recovery(
    inbox, hook, configured, make_connection
) -> None:  # type: ignore[no-untyped-def]
    _settings, secret = configured
    dropped = [
        make_connection(ConnectionState.DISCONNECTED, timezone.now() - timedelta(minutes=6))
        for _ in range(3)
    ]
    tasks.scan()
    _send_due()
    tasks.scan()  # a second beat: nothing new
    _send_due()
    for connection in dropped:
        set_state(connection, ConnectionState.CONNECTED, timezone.now())
    tasks.scan()
    _send_due()

    assert [message["Subject"] for message in inbox.messages] == [
        "[S2S VPN] 3 VPN connection(s) down (Acme)",
        f"[S2S VPN] Recovered: incident {json.loads(hook.received[0].body)['incident']} (Acme)",
    ]
    assert [json.loads(post.body)["kind"] for post in hook.received] == ["down", "recovered"]
    for post in hook.received:
        timestamp = int(post.headers[webhook.TIMESTAMP_HEADER])
        assert webhook.verify(secret, timestamp, post.body, post.headers[webhook.SIGNATURE_HEADER])
    assert len(json.loads(hook.received[0].body)["connections"]) == 3


def test_it_retries_a_webhook_the_receiver_refused(hook, configured) -> None:  # type: ignore[no-untyped-def]
    alert_settings, _secret = configured
    alert_settings.email_enabled = False
    alert_settings.save()
    hook.status[0] = 500
    (delivery,) = actions.send_test(alert_settings)
    now = timezone.now()
    assert sending.deliver(delivery.pk, now) == DeliveryStatus.PENDING
    hook.status[0] = 204
    assert sending.deliver(delivery.pk, now + timedelta(minutes=1)) == DeliveryStatus.SENT
    delivery.refresh_from_db()
    assert (delivery.attempts, len(hook.received)) == (2, 2)


def test_it_refuses_to_follow_a_redirect(hook, configured) -> None:  # type: ignore[no-untyped-def]
    alert_settings, _secret = configured
    hook.status[0] = 302
    (_email, delivery) = actions.send_test(alert_settings)
    sending.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert "HTTP 302" in delivery.last_error
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING
