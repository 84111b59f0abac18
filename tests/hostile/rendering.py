"""What every accepted input must render: a `load-conn` and a `load-shared` message that VICI
can carry, and a device file that parses and mirrors the router's side."""

from __future__ import annotations

from typing import Any

from vici.protocol import Message

from tests.hostile import swanctl
from vpn.device_configs import render_device_config
from vpn.strongswan import render
from vpn.strongswan.spec import ConnSpec

# Options both ends must agree on, IKE SA and CHILD_SA (the rest are each end's own business).
SHARED_IKE_OPTIONS = ("version", "rekey_time", "reauth_time", "over_time", "encap")
SHARED_CHILD_OPTIONS = ("rekey_time", "life_time", "mode")


def rendered(spec: ConnSpec) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The router's two messages and the device file of `spec`, each checked."""
    conn, shared = render.render_conn(spec), render.render_shared(spec)
    for message in (conn, shared):
        _strings_only(message)
        Message.serialize(message)  # what the vici package sends to charon
    text = render_device_config(spec, kind="strongswan")
    check_mirror(spec, conn, shared, swanctl.parse(text))
    return conn, shared, text


def check_mirror(
    spec: ConnSpec, conn: dict[str, Any], shared: dict[str, Any], device: dict[str, Any]
) -> None:
    name = render.conn_name(spec.connection_id)
    assert list(conn) == [name]
    ours = conn[name]
    assert list(device) == ["connections", "secrets"], list(device)
    assert list(device["connections"]) == [name]
    theirs = device["connections"][name]
    assert ours["local_addrs"] == [spec.gateway_ip] == [theirs["remote_addrs"]]
    assert ours["remote_addrs"] == [spec.peer_ip] == [theirs["local_addrs"]]
    assert ours["local"]["id"] == theirs["remote"]["id"] == spec.gateway_ip
    assert ours["remote"]["id"] == theirs["local"]["id"] == spec.peer_ip
    assert ours["proposals"] == [theirs["proposals"]]
    for option in SHARED_IKE_OPTIONS:
        assert ours[option] == theirs[option], option
    assert list(ours["children"]) == list(theirs["children"]) == render.child_names(spec)
    for child_name, child in ours["children"].items():
        device_child = theirs["children"][child_name]
        assert child["local_ts"] == swanctl.items(device_child["remote_ts"])
        assert child["remote_ts"] == swanctl.items(device_child["local_ts"])
        assert child["esp_proposals"] == [device_child["esp_proposals"]]
        for option in SHARED_CHILD_OPTIONS:
            assert child[option] == device_child[option], option
    covered = {ts for child in ours["children"].values() for ts in child["remote_ts"]}
    assert covered == set(spec.remote_cidrs)
    [secret] = device["secrets"].values()
    assert secret["id"] == spec.gateway_ip
    assert swanctl.secret_bytes(secret["secret"]) == spec.psk.encode()
    assert shared["data"] == spec.psk and shared["owners"] == [spec.peer_ip]


def _strings_only(value: Any) -> None:
    """VICI values are strings or lists of strings (the vici package would send others as
    their str(), which charon may read differently)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str) and key, key
            _strings_only(item)
    elif isinstance(value, list):
        assert value, "an empty list"
        for item in value:
            assert isinstance(item, str), item
    else:
        assert isinstance(value, str), value
