"""A key that starts with 0x/0s (in any case) means the same bytes on our router and on the device.

Our router gets the key by VICI load-shared, which takes "data" literally (vici_cred.c). A
device loading our swanctl.conf reads "0x"/"0s" in any case as hex/base64 (load_creds.c:
strcasepfx). `READS` says, per device kind, how that device reads the key we wrote; a new kind
of device configuration without an entry fails here until someone writes one. A device that
cannot take a key literally refuses it, naming the pre-shared key as the setting to change.
"""

import base64
import re

import pytest

from tests.vpn.specs import make_spec
from vpn.device_configs import TEMPLATES, DeviceRefused, render_device_config
from vpn.strongswan import render

KEYS = ["0XDEADBEEF", "0x1234", "0SAAAA", "0sQUJD", "0X", "0s", "0xnot hex", "plain 0x key", "O0x"]


def _swanctl_reads(text: str) -> bytes:
    """The bytes swanctl --load-creds sends for our `secret = ...` line (load_creds.c)."""
    value = re.search(r"^\s*secret = (.*)$", text, re.MULTILINE).group(1)  # type: ignore[union-attr]
    if value.startswith('"') and value.endswith('"'):
        value = value[1:-1]
    if value[:2].lower() == "0x":
        return bytes.fromhex(value[2:])
    if value[:2].lower() == "0s":
        return base64.b64decode(value[2:])
    return value.encode()


def _literal(pattern: str):  # type: ignore[no-untyped-def]
    """A device that takes the characters between its quotes (or up to the end of the word or
    line) as they are."""

    def read(text: str) -> bytes:
        return re.search(pattern, text, re.MULTILINE).group(1).encode()  # type: ignore[union-attr]

    return read


def _routeros_reads(text: str) -> bytes:
    """RouterOS scripting: a backslash takes the next character literally inside quotes."""
    value = re.search(r'secret="((?:\\.|[^"\\])*)"', text).group(1)  # type: ignore[union-attr]
    return re.sub(r"\\(.)", r"\1", value).encode()


READS = {
    "strongswan": _swanctl_reads,
    # ipsec.secrets (strongSwan stroke_cred.c, Libreswan ipsec.secrets(5)): quoted is literal.
    "strongswan-ipsec": _literal(r'^# .* : PSK "(.*)"$'),
    "libreswan": _literal(r'^# .* : PSK "(.*)"$'),
    "cisco-ios": _literal(r"pre-shared-key 0 (\S+)$"),
    "cisco-ios-vti": _literal(r"pre-shared-key 0 (\S+)$"),
    "cisco-asa": _literal(r"pre-shared-key (\S+)$"),
    "juniper-srx": _literal(r'pre-shared-key ascii-text "(.*)"$'),
    "fortigate": _literal(r'set psksecret "(.*)"$'),
    "paloalto": _literal(r'pre-shared-key key "(.*)"$'),
    "pfsense": _literal(r"Pre-Shared Key \.+ (.*)$"),
    "opnsense": _literal(r"Pre-Shared Key \.+ (.*)$"),
    "mikrotik": _routeros_reads,
    "vyos": _literal(r"secret '(.*)'$"),
}


def test_it_gives_the_router_every_key_literally() -> None:
    for psk in KEYS:
        assert render.render_shared(make_spec(psk=psk))["data"] == psk


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
@pytest.mark.parametrize("psk", KEYS)
def test_it_gives_the_device_the_same_bytes_as_the_router(kind: str, psk: str) -> None:
    spec = make_spec(psk=psk, remote_cidrs=("192.168.10.0/24",))
    router_bytes = render.render_shared(spec)["data"].encode()
    try:
        text = render_device_config(spec, kind=kind)
    except DeviceRefused as refusal:
        assert refusal.field == "psk"
        return
    assert READS[kind](text) == router_bytes
