"""Configuration files a customer loads into their own device: the mirror of our side.

Jinja2 with StrictUndefined (a missing value is an error, never an empty string) and no
autoescaping: these are configuration files, not HTML. Output is stable (no timestamps), so
golden files pin it.
"""

from __future__ import annotations

import base64
import string
from functools import cache
from pathlib import Path

import jinja2

from vpn.strongswan import render
from vpn.strongswan.spec import ConnSpec

TEMPLATES = {"strongswan": "strongswan.swanctl.conf.j2"}
# Characters a swanctl.conf quoted string carries as they are; anything else (and a key that
# swanctl would read as hex "0x..." or base64 "0s...") is written base64-encoded.
_PLAIN = frozenset(string.ascii_letters + string.digits + string.punctuation + " ") - {'"', "\\"}
# swanctl decodes a secret starting with these in any case (load_creds.c: strcasepfx), quoted or
# not. Our router takes every key literally (see render.render_shared), so such a key is written
# encoded and the device takes it literally too. Literal on both ends, rather than refusing such
# keys, keeps every key a tenant already has working, on the router unchanged and on any device
# configured by hand; only a file downloaded before this rule (which swanctl misread) changes.
_DECODED_PREFIXES = ("0x", "0s")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - a device configuration file, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_device_config(spec: ConnSpec, kind: str = "strongswan") -> str:
    """The customer's side of the connection as a complete configuration file."""
    try:
        template_name = TEMPLATES[kind]
    except KeyError:
        raise ValueError(f"no device configuration template for {kind!r}") from None
    template = _environment().get_template(template_name)
    return template.render(
        spec=spec,
        name=render.conn_name(spec.connection_id),
        version=render.ike_version(spec),
        ike_proposal=render.ike_proposal(spec),
        esp_proposal=render.esp_proposal(spec),
        ike_timers=render.ike_timers(spec),
        child_timers=render.child_timers(spec),
        dpd=render.dpd(spec),
        encap="yes" if spec.force_encap else "no",
        # Re-create a tunnel the cloud side closed only when the cloud side will not:
        # both ends restarting at once leaves duplicate IKE SAs behind.
        close_action="start" if spec.passive else "none",
        children=render.children(spec),
        secret=swanctl_secret(spec.psk),
    )


def swanctl_secret(psk: str) -> str:
    """The key as a swanctl.conf value: quoted when plain, else "0s" + base64 of its bytes."""
    plain = psk and set(psk) <= _PLAIN and psk[:2].lower() not in _DECODED_PREFIXES
    if plain:
        return f'"{psk}"'
    return "0s" + base64.b64encode(psk.encode()).decode()
