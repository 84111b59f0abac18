"""Pre-shared keys at rest: PSK_ENCRYPTION_KEYS (the first encrypts, all decrypt), its rules in
settings, `manage.py rotate_psk_keys`, and the keyed fingerprint stored in the database."""

import base64
import hashlib
import io
import json
import runpy
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from tests.vpn.conftest import PSK, make_cgw
from tests.vpn.specs import make_spec
from vpn import crypto
from vpn.models import CustomerGateway
from vpn.strongswan import render

SETTINGS = Path(__file__).resolve().parents[2] / "portal" / "settings.py"
OLD, NEW = "an old secret of the deployment", Fernet.generate_key().decode()


def _settings(monkeypatch, **env: str) -> dict:  # type: ignore[no-untyped-def]
    """portal/settings.py run afresh with only these of its PSK-related variables set."""
    for name in (
        "PSK_ENCRYPTION_KEYS",
        "PSK_ENCRYPTION_KEY",
        "DEBUG",
        "PORTAL_INSECURE_DEFAULTS",
        "PORTAL_ROLE",
        "SECRET_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def _legacy_token(secret: str, plaintext: str) -> str:
    """A ciphertext as vpn.crypto wrote it before PSK_ENCRYPTION_KEYS: a key derived from any
    secret, even one that is itself a Fernet key."""
    key = hashlib.sha256(b"s2s-portal/psk/v1:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key)).encrypt(plaintext.encode()).decode()


# Settings


def test_it_requires_the_keys_in_production(monkeypatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="PSK_ENCRYPTION_KEYS must be set"):
        _settings(monkeypatch, SECRET_KEY="s" * 50)


def test_it_reads_a_list_of_keys(monkeypatch) -> None:
    env = _settings(monkeypatch, SECRET_KEY="s" * 50, PSK_ENCRYPTION_KEYS=f"{NEW}, {OLD}")
    assert env["PSK_ENCRYPTION_KEYS"] == [NEW, OLD]


def test_it_reads_the_single_key_of_older_deployments_whole(monkeypatch) -> None:
    env = _settings(monkeypatch, SECRET_KEY="s" * 50, PSK_ENCRYPTION_KEY="with, a comma")
    assert env["PSK_ENCRYPTION_KEYS"] == ["with, a comma"]


def test_it_refuses_a_single_key_left_out_of_the_list(monkeypatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="not one of PSK_ENCRYPTION_KEYS"):
        _settings(monkeypatch, SECRET_KEY="s" * 50, PSK_ENCRYPTION_KEYS=NEW, PSK_ENCRYPTION_KEY=OLD)


def test_it_requires_the_keys_on_an_agent_even_in_debug(monkeypatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="agent needs PSK_ENCRYPTION_KEYS"):
        _settings(monkeypatch, PORTAL_ROLE="agent", DEBUG="1")
    env = _settings(monkeypatch, PORTAL_ROLE="agent", PSK_ENCRYPTION_KEYS=f"{NEW},{OLD}")
    assert env["PSK_ENCRYPTION_KEYS"] == [NEW, OLD]


def test_it_falls_back_to_secret_key_only_for_the_demo_and_tests(monkeypatch) -> None:
    env = _settings(monkeypatch, SECRET_KEY="s" * 50, DEBUG="1")
    assert env["PSK_ENCRYPTION_KEYS"] == ["s" * 50]
    env = _settings(monkeypatch, PORTAL_INSECURE_DEFAULTS="1")
    assert env["PSK_ENCRYPTION_KEYS"] == [env["SECRET_KEY"]]


# Encryption


def test_it_encrypts_with_the_first_key_and_decrypts_with_any(settings) -> None:
    settings.PSK_ENCRYPTION_KEYS = [OLD]
    old_token = crypto.encrypt(PSK)
    settings.PSK_ENCRYPTION_KEYS = [NEW, OLD]
    new_token = crypto.encrypt(PSK)
    assert crypto.decrypt(old_token) == crypto.decrypt(new_token) == PSK
    assert Fernet(NEW.encode()).decrypt(new_token.encode()).decode() == PSK  # a Fernet key as is
    assert not crypto.is_current(old_token) and crypto.is_current(new_token)


@pytest.mark.parametrize("secret", [OLD, NEW], ids=["secret", "fernet-shaped secret"])
def test_it_still_reads_what_was_encrypted_before_the_list(settings, secret) -> None:
    settings.PSK_ENCRYPTION_KEYS = [secret]
    assert crypto.decrypt(_legacy_token(secret, PSK)) == PSK


def test_it_says_why_a_key_cannot_be_read_without_showing_it(settings) -> None:
    settings.PSK_ENCRYPTION_KEYS = [OLD]
    token = crypto.encrypt(PSK)
    settings.PSK_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(crypto.UnreadableKey, match="no key in PSK_ENCRYPTION_KEYS") as wrong:
        crypto.decrypt(token)
    with pytest.raises(crypto.UnreadableKey, match="damaged") as damaged:
        crypto.decrypt("not a token")
    for error in (wrong.value, damaged.value):
        assert PSK not in str(error) and token not in str(error)


# rotate_psk_keys


@pytest.fixture
def three_under_old(settings, alice):  # type: ignore[no-untyped-def]
    settings.PSK_ENCRYPTION_KEYS = [OLD]
    cgws = [make_cgw(alice.account, name=f"site-{n}", ip=f"203.0.113.{n}") for n in (1, 2, 3)]
    settings.PSK_ENCRYPTION_KEYS = [NEW, OLD]
    return cgws


def _rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_psk_keys", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_rotates_every_key_so_the_old_key_can_go(settings, three_under_old) -> None:
    out = _rotate("--batch-size", "2")  # two batches
    assert "Re-encrypted 3 pre-shared key(s)" in out and "0 already were" in out
    assert PSK not in out
    settings.PSK_ENCRYPTION_KEYS = [NEW]
    assert [cgw.get_psk() for cgw in CustomerGateway.objects.order_by("pk")] == [PSK] * 3


@pytest.mark.django_db
def test_it_rotates_nothing_twice(three_under_old) -> None:
    _rotate()
    before = list(CustomerGateway.objects.order_by("pk").values_list("psk_encrypted", flat=True))
    assert "Re-encrypted 0 pre-shared key(s)" in _rotate() and "3 already were" in _rotate()
    after = list(CustomerGateway.objects.order_by("pk").values_list("psk_encrypted", flat=True))
    assert after == before


@pytest.mark.django_db
def test_it_fails_naming_the_keys_it_cannot_read_after_rotating_the_others(
    settings, three_under_old
) -> None:
    broken = three_under_old[1]
    CustomerGateway.objects.filter(pk=broken.pk).update(psk_encrypted="damaged")
    with pytest.raises(CommandError, match=rf"1 pre-shared key.*\(customer gateways {broken.pk}\)"):
        _rotate()
    settings.PSK_ENCRYPTION_KEYS = [NEW]
    others = CustomerGateway.objects.exclude(pk=broken.pk)
    assert [cgw.get_psk() for cgw in others] == [PSK] * 2


# The fingerprint stored as pushed_fingerprint


def test_it_keys_the_fingerprint_so_a_reader_cannot_try_psks(settings) -> None:
    spec = make_spec()
    fingerprint = render.spec_fingerprint(spec)
    document = {"conn": render.render_conn(spec), "shared": render.render_shared(spec)}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    # Knowing the right PSK and the whole configuration is not enough to reproduce it ...
    assert fingerprint != hashlib.sha256(canonical).hexdigest()
    assert len(fingerprint) == 64  # fits VpnConnection.pushed_fingerprint
    # ... because it depends on the keys, which a database dump does not hold.
    settings.PSK_ENCRYPTION_KEYS = [NEW]
    assert render.spec_fingerprint(spec) != fingerprint
    assert crypto.fingerprint_key() != base64.urlsafe_b64decode(NEW)  # a key of its own
