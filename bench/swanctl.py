"""The full-reload baseline: the router's connections as one swanctl.conf, as an
ipsec.conf-style system keeps them (every connection in one file, reloaded whole).

The file holds exactly what the portal pushes over VICI (vpn.strongswan.render), written in
swanctl.conf syntax, so both ways load the same configuration.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vpn.device_configs import swanctl_secret
from vpn.strongswan.render import conn_name, render_conn
from vpn.strongswan.spec import ConnSpec


def _section(name: str, body: dict[str, Any], depth: int) -> list[str]:
    pad = "    " * depth
    lines = [f"{pad}{name} {{"]
    for key, value in body.items():
        if isinstance(value, dict):
            lines += _section(key, value, depth + 1)
        elif isinstance(value, list | tuple):
            lines.append(f"{pad}    {key} = {','.join(str(v) for v in value)}")
        else:
            lines.append(f"{pad}    {key} = {value}")
    lines.append(f"{pad}}}")
    return lines


def router_conf(specs: Iterable[ConnSpec]) -> str:
    """connections { vpn-<id> {...} ... } secrets { ike-vpn-<id> {...} ... }"""
    specs = list(specs)
    conns: dict[str, Any] = {}
    for spec in specs:
        conns.update(render_conn(spec))
    secrets = {
        f"ike-{conn_name(spec.connection_id)}": {
            "id": spec.peer_ip,
            "secret": swanctl_secret(spec.psk),
        }
        for spec in specs
    }
    lines = _section("connections", conns, 0) + _section("secrets", secrets, 0)
    return "\n".join(lines) + "\n"
