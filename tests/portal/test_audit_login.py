"""Logins, failed logins and logouts are recorded from Django's auth signals, beside
django-axes (which still counts the failures and locks out)."""

import pytest
from django.urls import reverse

from portal.models import AuditEvent


@pytest.mark.django_db
def test_it_records_a_login_with_the_address(client, alice) -> None:
    client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    event = AuditEvent.objects.get(action="logged-in")
    assert (event.actor, event.account, event.via, event.address) == (
        alice,
        alice.account,
        "portal",
        "127.0.0.1",
    )


@pytest.mark.django_db
def test_it_records_a_failed_login_of_a_known_user_in_its_account(client, alice) -> None:
    client.post(reverse("login"), {"username": "alice", "password": "Wr0ng-Guess-of-mallory"})
    event = AuditEvent.objects.get(action="login-failed")
    assert (event.actor, event.actor_name, event.account) == (None, "alice", alice.account)
    assert "Wr0ng-Guess-of-mallory" not in str(list(AuditEvent.objects.values()))


@pytest.mark.django_db
def test_it_records_a_failed_login_of_an_unknown_user_in_no_account(client, alice) -> None:
    client.post(reverse("login"), {"username": "nobody", "password": "x"})
    event = AuditEvent.objects.get(action="login-failed")
    assert (event.actor_name, event.account) == ("nobody", None)


@pytest.mark.django_db
def test_it_still_locks_out_and_records_each_refusal(client, alice, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(3):
        response = client.post(reverse("login"), {"username": "alice", "password": "no"})
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="login-failed").count() == 3


@pytest.mark.django_db
def test_it_records_a_logout(alice_client, alice) -> None:
    alice_client.post(reverse("logout"))
    event = AuditEvent.objects.get(action="logged-out")
    assert (event.actor, event.account) == (alice, alice.account)


@pytest.mark.django_db
def test_it_records_an_admin_login_as_the_admin(client, operator) -> None:
    client.post(reverse("admin:login"), {"username": "root", "password": "x"})
    event = AuditEvent.objects.get(action="logged-in")
    assert (event.actor, event.via, event.account) == (operator, "admin", None)


@pytest.mark.django_db
def test_it_records_a_password_change_without_the_password(alice_client, alice) -> None:
    new = "correct horse battery staple 7"
    data = {"old_password": "pw-alice", "new_password1": new, "new_password2": new}
    alice_client.post(reverse("accounts:password-change"), data)
    event = AuditEvent.objects.get(action="changed")
    assert (event.actor, event.account, event.object_label) == (alice, alice.account, "user alice")
    assert event.detail == {"fields": ["password"]}
    assert new not in str(list(AuditEvent.objects.values()))


@pytest.mark.django_db
def test_it_records_turning_the_second_factor_on(alice_client, alice) -> None:
    from tests.portal.test_accounts import _turn_on

    _turn_on(alice_client)
    event = AuditEvent.objects.get(action="changed")
    assert (event.actor, event.detail) == (alice, {"fields": ["two-factor on"]})
