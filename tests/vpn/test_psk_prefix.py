"""A key that starts with 0x/0s (in any case) means the same bytes on our router and on the device.

Our router gets the key by VICI load-shared, which takes "data" literally (vici_cred.c). A
device loading our swanctl.conf reads "0x"/"0s" in any case as hex/base64 (load_creds.c:
strcasepfx). `READS` says, per device kind, how that device reads the key we wrote; a new kind
of device configuration without an entry fails here until someone writes one.
"""

import base64
import re

import pytest

from tests.vpn.specs import make_spec
from vpn.device_configs import TEMPLATES, render_device_config
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


READS = {"strongswan": _swanctl_reads}


def test_it_gives_the_router_every_key_literally() -> None:
    for psk in KEYS:
        assert render.render_shared(make_spec(psk=psk))["data"] == psk


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
@pytest.mark.parametrize("psk", KEYS)
def test_it_gives_the_device_the_same_bytes_as_the_router(kind: str, psk: str) -> None:
    spec = make_spec(psk=psk)
    router_bytes = render.render_shared(spec)["data"].encode()
    assert READS[kind](render_device_config(spec, kind=kind)) == router_bytes
