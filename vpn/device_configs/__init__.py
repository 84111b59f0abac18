"""Configuration files a customer loads into their own device: the mirror of our side.

One Jinja2 template per device (registry.DEVICES), rendered from the connection's ConnSpec with
StrictUndefined (a missing value is an error, never an empty string) and no autoescaping: these
are configuration files, not HTML. Output is stable (no timestamps), so golden files pin it.
Each vendor module holds that vendor's words for our algorithms, groups, versions and identity
types, naming the vendor document they come from; a device that cannot do what the connection
does raises DeviceRefused naming the customer gateway setting to change.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from vpn.device_configs.common import About, DeviceRefused
from vpn.device_configs.registry import DEVICES, Device
from vpn.device_configs.strongswan import swanctl_secret
from vpn.strongswan import render
from vpn.strongswan.spec import ConnSpec

__all__ = [
    "DEVICES",
    "TEMPLATES",
    "About",
    "Device",
    "DeviceRefused",
    "render_device_config",
    "swanctl_secret",
]

TEMPLATES = {key: device.template for key, device in DEVICES.items()}


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


def render_device_config(
    spec: ConnSpec, kind: str = "strongswan", about: About | None = None
) -> str:
    """The customer's side of the connection as a complete configuration file for `kind`.

    Raises ValueError for an unknown kind and DeviceRefused when the device cannot follow the
    connection's settings.
    """
    try:
        device = DEVICES[kind]
    except KeyError:
        raise ValueError(f"no device configuration template for {kind!r}") from None
    words = device.context(spec)
    template = _environment().get_template(device.template)
    return template.render(
        spec=spec,
        name=render.conn_name(spec.connection_id),
        header=header(device, spec, about),
        **words,
    )


def header(device: Device, spec: ConnSpec, about: About | None) -> str:
    """The opening comment: which portal connection this is and what is left to fill in."""
    name = render.conn_name(spec.connection_id)
    lines = [f"{device.label} configuration for Site-to-Site VPN connection {name}", ""]
    if about is not None:
        lines.append(
            f"Portal connection {spec.connection_id}: VPC {about.vpc}, "
            f"customer gateway {about.customer_gateway}"
        )
    lines += [
        f"  this device:   {spec.peer_ip}, networks {', '.join(spec.remote_cidrs)}",
        f"  cloud gateway: {spec.gateway_ip}, networks {', '.join(spec.local_cidrs)}",
        "",
        "Fill in before loading:",
        *(f"  - {item}" for item in device.fill_in or ("nothing",)),
        "This file contains the pre-shared key: keep it private.",
    ]
    return "\n".join(f"{device.comment} {line}".rstrip() for line in lines)
