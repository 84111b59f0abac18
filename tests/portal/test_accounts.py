"""Accounts that resist attack: login lockout, session lifetime, password change, and a second
factor (TOTP) that users can turn on and operators can require for staff."""

import os
import re
import subprocess
import sys
from base64 import b32decode
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from network.models import Vpc
from portal.models import User

ROOT = Path(__file__).resolve().parents[2]
LOCKED = "Too many failed logins"


def _log_in(client: Client, username: str, password: str, ip: str = "192.0.2.1", **extra):  # type: ignore[no-untyped-def]
    data = {"username": username, "password": password}
    return client.post(reverse("login"), data, REMOTE_ADDR=ip, **extra)


def _fail(client: Client, username: str, times: int, ip: str = "192.0.2.1", **extra):  # type: ignore[no-untyped-def]
    for _ in range(times):
        response = _log_in(client, username, "wrong", ip, **extra)
    return response


def _code(key: bytes, ahead: int = 0) -> str:
    """The code an authenticator app shows now (or ``ahead`` steps of 30 s later)."""
    return f"{totp(key, drift=ahead):06d}"


def _wrong(key: bytes) -> str:
    """A code the app does not show now (half the code space away from the right one)."""
    return f"{(int(_code(key)) + 500_000) % 1_000_000:06d}"


def _logged_in(client: Client) -> bool:
    return client.get(reverse("network:vpc-list")).status_code == 200


# Lockout (django-axes) ---------------------------------------------------------------------


@pytest.mark.django_db
def test_it_locks_a_username_out_from_an_address_on_the_fifth_failure(client, alice) -> None:
    assert LOCKED not in _fail(client, "alice", 4).content.decode()
    response = _fail(client, "alice", 1)
    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_even_the_right_password_while_locked(client, alice) -> None:
    _fail(client, "alice", 5)
    response = _log_in(client, "alice", "pw-alice")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not _logged_in(client)


@pytest.mark.django_db
def test_it_keeps_the_login_form_on_the_lockout_page(client, alice) -> None:
    page = _fail(client, "alice", 5).content.decode()
    assert '<label for="id_username">Username</label>' in page
    assert '<label for="id_password">Password</label>' in page


@pytest.mark.django_db
def test_it_lets_the_same_username_in_from_another_address(client, alice) -> None:
    _fail(client, "alice", 5, ip="192.0.2.1")
    assert _log_in(client, "alice", "pw-alice", ip="192.0.2.2").status_code == 302


@pytest.mark.django_db
def test_it_lets_the_user_in_again_after_the_cool_off(client, alice) -> None:
    _fail(client, "alice", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _log_in(client, "alice", "pw-alice").status_code == 302


@pytest.mark.django_db
def test_it_forgets_failures_after_a_successful_login(client, alice) -> None:
    _fail(client, "alice", 4)
    assert _log_in(client, "alice", "pw-alice").status_code == 302
    client.post(reverse("logout"))
    assert _fail(client, "alice", 4).status_code == 200


@pytest.mark.django_db
def test_it_shares_the_lockout_between_the_portal_and_the_admin(client, django_user_model) -> None:
    django_user_model.objects.create_superuser("root", password="pw-root")
    _fail(client, "root", 5)
    admin_login = reverse("admin:login")
    response = client.post(
        admin_login, {"username": "root", "password": "pw-root"}, REMOTE_ADDR="192.0.2.1"
    )
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


@pytest.mark.django_db
def test_it_counts_the_admin_logins_failures_too(client, django_user_model) -> None:
    django_user_model.objects.create_superuser("root", password="pw-root")
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "root", "password": "no"})
    assert _log_in(client, "root", "pw-root", ip="127.0.0.1").status_code == 429


@pytest.mark.django_db
def test_it_locks_the_address_the_proxy_saw_not_one_the_client_wrote(
    client, alice, settings
) -> None:
    settings.PORTAL_PROXY_COUNT = 1
    _fail(client, "alice", 5, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    spoofed = "203.0.113.99, 198.51.100.7"  # the client's own header, then what the proxy saw
    forwarded = {"HTTP_X_FORWARDED_FOR": spoofed}
    assert _log_in(client, "alice", "pw-alice", ip="10.0.0.1", **forwarded).status_code == 429
    other = {"HTTP_X_FORWARDED_FOR": "198.51.100.8"}
    assert _log_in(client, "alice", "pw-alice", ip="10.0.0.1", **other).status_code == 302


# Sessions ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_ends_sessions_after_the_configured_lifetime(client, alice, settings) -> None:
    settings.SESSION_COOKIE_AGE = 600
    _log_in(client, "alice", "pw-alice")
    session = Session.objects.get(session_key=client.cookies["sessionid"].value)
    lifetime = session.expire_date - timezone.now()
    assert timedelta(seconds=590) < lifetime <= timedelta(seconds=600)


@pytest.mark.django_db
def test_it_ends_sessions_when_the_browser_closes(client, alice) -> None:
    response = _log_in(client, "alice", "pw-alice")
    cookie = response.cookies["sessionid"]
    assert not cookie["max-age"]
    assert not cookie["expires"]


def _settings_in_subprocess(**env: str) -> list[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environ.update(env, DJANGO_SETTINGS_MODULE="portal.settings_test")
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_AGE, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.seconds, "
        "s.PORTAL_REQUIRE_STAFF_OTP, s.PORTAL_RATE_LIMIT or '-', s.PORTAL_PROXY_COUNT)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split()


def test_it_reads_the_account_settings_from_the_environment() -> None:
    assert _settings_in_subprocess() == ["28800", "5", "900", "False", "60/minute", "0"]
    assert _settings_in_subprocess(
        PORTAL_SESSION_SECONDS="600",
        PORTAL_LOGIN_FAILURE_LIMIT="3",
        PORTAL_LOGIN_LOCKOUT_MINUTES="30",
        PORTAL_REQUIRE_STAFF_OTP="1",
        PORTAL_RATE_LIMIT="",
        PORTAL_PROXY_COUNT="1",
    ) == ["600", "3", "1800", "True", "-", "1"]


# Password change ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_links_the_password_change_from_the_user_menu(alice_client) -> None:
    page = alice_client.get(reverse("network:vpc-list")).content.decode()
    assert f'href="{reverse("accounts:password-change")}"' in page


@pytest.mark.django_db
def test_it_shows_the_password_change_in_the_console_layout(alice_client) -> None:
    page = alice_client.get(reverse("accounts:password-change")).content.decode()
    assert 'class="sidenav"' in page
    assert 'name="old_password"' in page


@pytest.mark.django_db
def test_it_changes_the_password_and_says_so(alice_client, alice) -> None:
    new = "correct horse battery staple 7"
    data = {"old_password": "pw-alice", "new_password1": new, "new_password2": new}
    response = alice_client.post(reverse("accounts:password-change"), data, follow=True)
    assert response.redirect_chain == [(reverse("accounts:security"), 302)]
    assert "Your password has been changed." in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(new)
    assert _logged_in(alice_client)  # this session goes on


@pytest.mark.django_db
def test_it_ends_the_users_other_sessions_with_a_password_change(alice_client, alice) -> None:
    elsewhere = Client()
    elsewhere.force_login(alice)
    new = "correct horse battery staple 7"
    data = {"old_password": "pw-alice", "new_password1": new, "new_password2": new}
    alice_client.post(reverse("accounts:password-change"), data)
    assert not _logged_in(elsewhere)


@pytest.mark.django_db
def test_it_refuses_a_password_change_without_the_old_password(alice_client, alice) -> None:
    new = "correct horse battery staple 7"
    data = {"old_password": "nope", "new_password1": new, "new_password2": new}
    response = alice_client.post(reverse("accounts:password-change"), data)
    assert "Your old password was entered incorrectly" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("pw-alice")


# Second factor: setting it up --------------------------------------------------------------


def _offered_key(client: Client) -> bytes:
    """The secret the setup page shows as text, as an authenticator app would take it."""
    page = client.get(reverse("accounts:two-factor-setup")).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert secret, page
    text = secret.group(1).replace(" ", "")
    return b32decode(text + "=" * (-len(text) % 8))


def _turn_on(client: Client) -> bytes:
    key = _offered_key(client)
    response = client.post(reverse("accounts:two-factor-setup"), {"code": _code(key)})
    assert response.status_code == 302, response.content.decode()
    return key


@pytest.mark.django_db
def test_it_shows_the_secret_as_an_inline_svg_qr_code(alice_client) -> None:
    page = alice_client.get(reverse("accounts:two-factor-setup")).content.decode()
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S)
    assert svg
    assert 'class="qr-code"' in svg.group(0)
    assert "style=" not in svg.group(0)  # CSP: style-src 'self', no inline styles
    assert "<img" not in page


@pytest.mark.django_db
def test_it_offers_the_same_secret_until_it_is_confirmed(alice_client) -> None:
    assert _offered_key(alice_client) == _offered_key(alice_client)
    assert not TOTPDevice.objects.exists()


@pytest.mark.django_db
def test_it_turns_the_second_factor_on_with_a_code_from_the_app(alice_client, alice) -> None:
    key = _offered_key(alice_client)
    response = alice_client.post(
        reverse("accounts:two-factor-setup"), {"code": _code(key)}, follow=True
    )
    assert "Two-factor authentication is on." in response.content.decode()
    device = TOTPDevice.objects.get(user=alice)
    assert device.confirmed
    assert device.bin_key == key
    assert _logged_in(alice_client)  # this session counts as verified


@pytest.mark.django_db
def test_it_keeps_the_second_factor_off_on_a_wrong_code(alice_client, alice) -> None:
    key = _offered_key(alice_client)
    response = alice_client.post(reverse("accounts:two-factor-setup"), {"code": _wrong(key)})
    assert response.status_code == 422
    assert "That code does not match" in response.content.decode()
    assert not TOTPDevice.objects.exists()


@pytest.mark.django_db
def test_it_turns_the_second_factor_off_with_a_current_code(alice_client) -> None:
    key = _turn_on(alice_client)
    url = reverse("accounts:two-factor-disable")
    response = alice_client.post(url, {"code": _code(key, ahead=1)}, follow=True)
    assert "Two-factor authentication is off." in response.content.decode()
    assert not TOTPDevice.objects.exists()


@pytest.mark.django_db
def test_it_keeps_the_second_factor_on_without_a_current_code(alice_client) -> None:
    key = _turn_on(alice_client)
    response = alice_client.post(reverse("accounts:two-factor-disable"), {"code": _wrong(key)})
    assert response.status_code == 422
    assert "That code is not right" in response.content.decode()
    assert TOTPDevice.objects.exists()


# Second factor: logging in -----------------------------------------------------------------


@pytest.fixture
def alice_key(alice: User) -> bytes:
    return TOTPDevice.objects.create(user=alice, name="phone", confirmed=True).bin_key


@pytest.mark.django_db
def test_it_asks_for_the_code_after_the_password(client, alice_key) -> None:
    response = _log_in(client, "alice", "pw-alice")
    response = client.get(response["Location"])
    next_query = urlencode({"next": reverse("network:vpc-list")})
    assert response["Location"] == reverse("accounts:login-code") + "?" + next_query
    assert "Enter your code" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_it_lets_nothing_through_before_the_code(client, alice_key, vpc) -> None:
    _log_in(client, "alice", "pw-alice")
    for url in (
        reverse("network:vpc-detail", args=[vpc.pk]),
        reverse("accounts:security"),
        reverse("accounts:password-change"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login-code")), url
    response = client.post(reverse("network:vpc-delete", args=[vpc.pk]))
    assert response["Location"] == reverse("accounts:login-code")
    assert Vpc.objects.filter(pk=vpc.pk).exists()


@pytest.mark.django_db
def test_it_sends_htmx_requests_to_the_code_page_by_client_redirect(client, alice_key) -> None:
    _log_in(client, "alice", "pw-alice")
    response = client.get(reverse("network:vpc-list"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("accounts:login-code"))


@pytest.mark.django_db
def test_it_logs_in_with_the_right_code(client, alice_key) -> None:
    _log_in(client, "alice", "pw-alice")
    url = reverse("accounts:login-code")
    next_url = reverse("vpn:connection-list")
    response = client.post(url, {"code": _code(alice_key), "next": next_url})
    assert response["Location"] == next_url
    assert _logged_in(client)


@pytest.mark.django_db
def test_it_refuses_a_wrong_code(client, alice_key) -> None:
    _log_in(client, "alice", "pw-alice")
    response = client.post(reverse("accounts:login-code"), {"code": _wrong(alice_key)})
    assert response.status_code == 422
    assert "That code is not right" in response.content.decode()
    assert not _logged_in(client)


@pytest.mark.django_db
def test_it_never_accepts_one_code_twice(client, alice_key) -> None:
    code = _code(alice_key)
    _log_in(client, "alice", "pw-alice")
    client.post(reverse("accounts:login-code"), {"code": code})
    other = Client()
    _log_in(other, "alice", "pw-alice")
    assert other.post(reverse("accounts:login-code"), {"code": code}).status_code == 422


@pytest.mark.django_db
def test_it_makes_the_user_wait_after_wrong_codes(client, alice_key) -> None:
    _log_in(client, "alice", "pw-alice")
    for _ in range(3):
        client.post(reverse("accounts:login-code"), {"code": _wrong(alice_key)})
    response = client.post(reverse("accounts:login-code"), {"code": _code(alice_key)})
    assert "Too many wrong codes" in response.content.decode()
    assert not _logged_in(client)


@pytest.mark.django_db
def test_it_does_not_let_the_admin_login_skip_the_code(client, django_user_model) -> None:
    root = django_user_model.objects.create_superuser("root", password="pw-root")
    TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    client.post(reverse("admin:login"), {"username": "root", "password": "pw-root"})
    response = client.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("accounts:login-code"))


# Second factor: required for staff ---------------------------------------------------------


@pytest.fixture
def operator(django_user_model):  # type: ignore[no-untyped-def]
    return django_user_model.objects.create_user("op", password="pw-op", is_staff=True)


@pytest.mark.django_db
def test_it_sends_staff_without_a_device_to_set_one_up_when_required(
    client, operator, settings
) -> None:
    settings.PORTAL_REQUIRE_STAFF_OTP = True
    client.force_login(operator)
    response = client.get(reverse("admin:index"))
    assert response["Location"] == reverse("accounts:two-factor-setup") + "?next=%2Fadmin%2F"
    key = _offered_key(client)
    data = {"code": _code(key), "next": reverse("admin:index")}
    response = client.post(reverse("accounts:two-factor-setup"), data)
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_it_lets_staff_in_without_a_device_when_not_required(client, operator) -> None:
    client.force_login(operator)
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_it_does_not_let_required_staff_turn_it_off(client, operator, settings) -> None:
    settings.PORTAL_REQUIRE_STAFF_OTP = True
    client.force_login(operator)
    key = _turn_on(client)
    response = client.post(reverse("accounts:two-factor-disable"), {"code": _code(key, 1)})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=operator).exists()


@pytest.mark.django_db
def test_it_leaves_tenants_without_a_device_alone_when_staff_must(alice_client, settings) -> None:
    settings.PORTAL_REQUIRE_STAFF_OTP = True
    assert _logged_in(alice_client)
