"""The customer's swanctl.conf. Golden files pin the output; regenerate them after a deliberate
change with UPDATE_GOLDEN=1 and review the diff. charon 5.9.8 loaded each golden file with
`swanctl --load-all --file` and brought the tunnel up against our rendered side."""

import base64
import os
from dataclasses import replace
from pathlib import Path

import pytest

from tests.vpn.specs import make_spec
from vpn.device_configs import render_device_config, swanctl_secret

GOLDEN = Path(__file__).parent / "golden"
SPEC = make_spec()
CASES = {
    "default": SPEC,
    "split_gcm_passive": replace(
        SPEC,
        connection_id=12,
        split=True,
        passive=True,
        force_encap=True,
        ike_encryption="aes256gcm16",
        esp_encryption="aes128gcm16",
        esp_pfs="ecp256",
        ike_lifetime=28800,
        esp_lifetime=1200,
    ),
    "ikev1_legacy": replace(
        SPEC,
        connection_id=3,
        ike_version="ikev1",
        ike_encryption="3des",
        ike_integrity="sha1",
        ike_dh="modp1024",
        esp_pfs="none",
        dpd_enabled=False,
        psk='0x"not hex"',
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_it_matches_the_golden_file(case):
    path = GOLDEN / f"strongswan_{case}.conf"
    rendered = render_device_config(CASES[case])
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(rendered)
    assert rendered == path.read_text()


def test_it_mirrors_our_side():
    rendered = render_device_config(SPEC)
    assert "local_addrs = 203.0.113.20" in rendered
    assert "remote_addrs = 198.51.100.10" in rendered
    assert "local_ts = 192.168.10.0/24,192.168.20.0/24" in rendered
    assert "remote_ts = 10.1.0.0/16" in rendered


def test_it_always_initiates_from_the_device():
    assert "start_action = start" in render_device_config(replace(SPEC, passive=True))


def test_it_quotes_a_plain_key():
    assert swanctl_secret("plain #, {} = key") == '"plain #, {} = key"'


def test_it_encodes_a_key_strongswan_would_misread():
    for psk in ('say "hi"', "back\\slash", "0xdeadbeef", "0sAAAA", "tab\there", "clé"):
        encoded = swanctl_secret(psk)
        assert encoded.startswith("0s")
        assert base64.b64decode(encoded[2:]).decode() == psk


def test_it_refuses_an_unknown_device_kind():
    with pytest.raises(ValueError, match="cisco"):
        render_device_config(SPEC, kind="cisco")
