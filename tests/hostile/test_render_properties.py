"""Property-based tests of the renderers alone (no database): every connection the form can
produce renders a `load-conn` message VICI can carry and a device file that mirrors it, and the
device gets the very key the router has."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.conf import settings as django_settings
from hypothesis import example, given, settings

from tests.hostile.inputs import conn_specs
from tests.hostile.rendering import rendered
from vpn.strongswan import render
from vpn.strongswan.spec import ConnSpec

SPEC = ConnSpec(
    connection_id=42,
    gateway_ip="198.51.100.10",
    local_cidrs=("10.1.0.0/16",),
    peer_ip="203.0.113.10",
    remote_cidrs=("192.168.10.0/24", "192.168.20.0/24"),
    ike_version="ikev2",
    ike_encryption="aes256",
    ike_integrity="sha256",
    ike_dh="modp2048",
    esp_encryption="aes256",
    esp_integrity="sha256",
    esp_pfs="modp2048",
    ike_lifetime=86400,
    esp_lifetime=3600,
    dpd_enabled=True,
    dpd_delay=5,
    dpd_timeout=30,
    force_encap=False,
    split=False,
    passive=False,
    psk="a-key-of-its-own",
)
# Keys swanctl would not take literally if they were written as they are: a "0x"/"0s" prefix in
# any case (hex, base64), and the characters of its own syntax.
AWKWARD_KEYS = [
    "0Xdeadbeef12",
    "0Sc2VjcmV0LWtleQ==",
    "0xdeadbeef12",
    "0sc2VjcmV0LWtleQ==",
    "has#a-hash-mark",
    "${charon.plugins}",
    "  spaced  key  ",
    "brace{s}=and;semi",
]


@settings(max_examples=150, deadline=None, database=None)
@given(spec=conn_specs())
@example(spec=replace(SPEC, ike_version="ikev1"))
@example(spec=replace(SPEC, ike_version="any", split=True, passive=True))
@example(spec=replace(SPEC, esp_encryption="aes256gcm16", esp_integrity="", esp_pfs="none"))
def test_it_renders_both_ends_of_every_connection_the_form_can_make(spec: ConnSpec) -> None:
    rendered(spec)


@pytest.mark.parametrize("psk", AWKWARD_KEYS)
def test_it_hands_the_device_the_very_key_the_router_has(psk: str) -> None:
    _conn, shared, _text = rendered(replace(SPEC, psk=psk))  # compares the bytes swanctl loads
    assert shared["data"] == psk


def test_it_changes_the_fingerprint_with_the_key() -> None:
    assert render.spec_fingerprint(SPEC) != render.spec_fingerprint(replace(SPEC, psk="x" * 12))


def test_it_stores_no_fingerprint_that_confirms_a_guessed_key(settings) -> None:  # type: ignore[no-untyped-def]
    """The fingerprint is stored and shown to staff; everything else in it is in the database
    too. Whoever lacks the portal's secrets must not be able to recompute it for a guess."""
    stored = render.spec_fingerprint(SPEC)
    for name in [name for name in dir(django_settings) if name.isupper()]:
        value = getattr(settings, name)
        if not ("SECRET" in name or name.endswith(("_KEY", "_KEYS"))):
            continue
        if isinstance(value, str) and value:
            setattr(settings, name, "an-attackers-own-secret-0123456789")
        elif isinstance(value, list | tuple) and value:
            setattr(settings, name, ["an-attackers-own-secret-0123456789"])
    assert render.spec_fingerprint(SPEC) != stored
