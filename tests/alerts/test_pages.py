"""The tenant's alert pages: settings, the secret shown once, the test button, the log."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.choices import Channel, MessageKind
from alerts.models import AlertSettings, Delivery
from vpn import crypto

pytestmark = pytest.mark.django_db
SETTINGS_URL = reverse("alerts:settings")
QUERIES = 6  # session, user, account, second-factor check, count, the page of deliveries


def _form(**extra: str) -> dict[str, str]:
    return {"down_after_minutes": "10", "email_enabled": "on", "emails": "a@example.com", **extra}


def test_it_saves_the_settings_of_the_users_account(alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    response = alice_client.post(SETTINGS_URL, _form(emails="a@example.com\nb@example.com"))
    assert response.status_code == 302
    saved = AlertSettings.objects.get(account=alice.account)
    assert (saved.emails, saved.down_after_minutes) == (["a@example.com", "b@example.com"], 10)


def test_it_refuses_a_sixth_address(alice_client) -> None:  # type: ignore[no-untyped-def]
    emails = "\n".join(f"n{i}@example.com" for i in range(6))
    response = alice_client.post(SETTINGS_URL, _form(emails=emails))
    assert response.status_code == 422
    assert "At most 5 email addresses." in response.content.decode()


def test_it_refuses_a_webhook_to_the_metadata_service(alice_client) -> None:  # type: ignore[no-untyped-def]
    response = alice_client.post(
        SETTINGS_URL, _form(webhook_enabled="on", webhook_url="https://169.254.169.254/")
    )
    assert response.status_code == 422
    assert not AlertSettings.objects.exists()


def test_it_shows_a_new_webhook_secret_once(alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    response = alice_client.post(
        SETTINGS_URL, _form(webhook_enabled="on", webhook_url="https://93.184.215.14/hook")
    )
    secret = crypto.decrypt(AlertSettings.objects.get(account=alice.account).webhook_secret)
    assert secret in response.content.decode()
    assert secret not in alice_client.get(SETTINGS_URL).content.decode()


def test_it_rotates_the_webhook_secret(alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    alice_client.post(SETTINGS_URL, _form(webhook_url="https://93.184.215.14/hook"))
    before = AlertSettings.objects.get(account=alice.account).webhook_secret
    response = alice_client.post(reverse("alerts:rotate-secret"))
    after = AlertSettings.objects.get(account=alice.account).webhook_secret
    assert crypto.decrypt(after) != crypto.decrypt(before)
    assert crypto.decrypt(after) in response.content.decode()


def test_it_queues_a_test_message_per_enabled_channel(alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    alice_client.post(SETTINGS_URL, _form())
    response = alice_client.post(reverse("alerts:test"))
    assert response["Location"] == reverse("alerts:deliveries")
    delivery = Delivery.objects.get(account=alice.account)
    assert (delivery.kind, delivery.channel) == (MessageKind.TEST, Channel.EMAIL)


def test_it_shows_only_the_accounts_own_deliveries(alice, charlie, charlie_client) -> None:  # type: ignore[no-untyped-def]
    for account, target in ((alice.account, "alice@example.com"), (charlie.account, "c@x.org")):
        Delivery.objects.create(
            account=account,
            channel=Channel.EMAIL,
            kind=MessageKind.TEST,
            target=target,
            body={},
            next_try=timezone.now(),
        )
    page = charlie_client.get(reverse("alerts:deliveries")).content.decode()
    assert "c@x.org" in page
    assert "alice@example.com" not in page


def test_it_renders_only_the_log_for_htmx(alice_client) -> None:  # type: ignore[no-untyped-def]
    url = reverse("alerts:deliveries")
    partial = alice_client.get(url, headers={"HX-Request": "true"}).content.decode()
    full = alice_client.get(url).content.decode()
    assert 'id="delivery-log"' in partial
    assert "<html" not in partial
    assert "<html" in full


def test_it_pages_the_log_newest_first(alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    for n in range(30):
        Delivery.objects.create(
            account=alice.account,
            channel=Channel.EMAIL,
            kind=MessageKind.TEST,
            target=f"n{n}@example.com",
            body={},
            next_try=timezone.now(),
        )
    first = alice_client.get(reverse("alerts:deliveries")).content.decode()
    assert "n29@example.com" in first
    assert "n0@example.com" not in first
    assert "Page 1 of 2" in first


@pytest.mark.parametrize("count", [1, 30])
def test_it_lists_the_log_in_a_constant_number_of_queries(
    alice, alice_client, django_assert_num_queries, count: int
) -> None:  # type: ignore[no-untyped-def]
    for n in range(count):
        Delivery.objects.create(
            account=alice.account,
            channel=Channel.WEBHOOK,
            kind=MessageKind.TEST,
            target=f"https://hooks.example.net/{n}",
            body={},
            next_try=timezone.now(),
        )
    with django_assert_num_queries(QUERIES):
        alice_client.get(reverse("alerts:deliveries"))
