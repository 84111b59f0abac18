"""Both IKE identities on our router (load-conn, load-shared) and in the swanctl download."""

import re
from dataclasses import replace

import pytest

from tests.vpn.specs import make_spec
from vpn.device_configs import render_device_config
from vpn.strongswan import render

SPEC = make_spec()
FQDN = make_spec(
    local_id_type="fqdn",
    local_id="moon.strongswan.org",
    remote_id_type="fqdn",
    remote_id="sun.strongswan.org",
)


def test_it_keeps_the_public_ips_as_identities_by_default():
    conn = render.render_conn(SPEC)["vpn-7"]
    assert conn["local"]["id"] == "198.51.100.10"
    assert conn["remote"]["id"] == "203.0.113.20"
    assert render.render_shared(SPEC)["owners"] == ["203.0.113.20"]


def test_it_renders_the_default_exactly_as_before_identities_existed():
    explicit_empty = replace(SPEC, local_id_type="ip", local_id="", remote_id_type="ip")
    assert render.spec_fingerprint(explicit_empty, b"k") == render.spec_fingerprint(SPEC, b"k")


@pytest.mark.parametrize(
    ("kind", "value", "written"),
    [
        ("ip", "10.0.0.1", "10.0.0.1"),
        ("ip", "2001:db8::1", "2001:db8::1"),
        ("fqdn", "sun.strongswan.org", "fqdn:sun.strongswan.org"),
        ("email", "carol@strongswan.org", "email:carol@strongswan.org"),
        ("keyid", "cn=not-a-dn", "keyid:cn=not-a-dn"),
    ],
)
def test_it_writes_each_identity_type_in_strongswan_syntax(kind, value, written):
    assert render.identity(kind, value) == written


def test_it_sends_our_chosen_identity_and_expects_the_devices():
    conn = render.render_conn(FQDN)["vpn-7"]
    assert conn["local"]["id"] == "fqdn:moon.strongswan.org"
    assert conn["remote"]["id"] == "fqdn:sun.strongswan.org"


def test_it_gives_the_key_to_the_devices_identity():
    assert render.render_shared(FQDN)["owners"] == ["fqdn:sun.strongswan.org"]


def test_it_changes_the_fingerprint_when_an_identity_changes():
    assert render.spec_fingerprint(FQDN, b"k") != render.spec_fingerprint(SPEC, b"k")


def _ids(text: str) -> list[str]:
    return re.findall(r"^\s*id = (\S+)$", text, flags=re.MULTILINE)


def test_it_mirrors_the_identities_in_the_swanctl_download():
    local_id, remote_id, secret_owner = _ids(render_device_config(FQDN))
    assert local_id == render.identity(*FQDN.remote_identity)
    assert remote_id == secret_owner == render.identity(*FQDN.local_identity)


@pytest.mark.parametrize(
    ("kind", "value"),
    [("ip", "10.9.8.7"), ("email", "carol@strongswan.org"), ("keyid", "site-7")],
)
def test_it_writes_every_identity_type_into_the_download_as_the_router_does(kind, value):
    spec = replace(SPEC, remote_id_type=kind, remote_id=value)
    assert _ids(render_device_config(spec))[0] == render.identity(kind, value)
