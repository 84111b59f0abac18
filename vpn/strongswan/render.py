"""A ConnSpec rendered as the VICI `load-conn` and `load-shared` messages for our router.

Names on the router derive from the database id, so every conn, CHILD_SA and shared key
maps back to its row: conn and IKE SA "vpn-<id>", children "vpn-<id>" or "vpn-<id>-<n>",
shared key "psk-vpn-<id>". Values are strings or lists of strings, as the vici package sends
them. Option names are swanctl.conf's (see swanctl.conf(5)); comments say why, not what.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from vpn import crypto, policies
from vpn.choices import IdentityType, IkeVersion
from vpn.strongswan.spec import ConnSpec

CONN_PREFIX = "vpn-"
SHARED_PREFIX = "psk-vpn-"
_CONN_NAME = re.compile(r"vpn-(\d+)(?:-\d+)?")
_SHARED_ID = re.compile(r"psk-vpn-(\d+)")
# Keyed by str: a ConnSpec holds the stored value, which equals (and hashes as) its member.
_VERSION: dict[str, str] = {IkeVersion.IKEV2: "2", IkeVersion.IKEV1: "1", IkeVersion.ANY: "0"}
_IDENTITY_PREFIX: dict[str, str] = {
    IdentityType.FQDN: "fqdn:",
    IdentityType.EMAIL: "email:",
    IdentityType.KEY_ID: "keyid:",
}


@dataclass(frozen=True)
class Child:
    """One CHILD_SA of a connection and the traffic selectors it must carry."""

    name: str
    local_ts: tuple[str, ...]
    remote_ts: tuple[str, ...]


def conn_name(connection_id: int) -> str:
    return f"{CONN_PREFIX}{connection_id}"


def shared_id(connection_id: int) -> str:
    return f"{SHARED_PREFIX}{connection_id}"


def connection_id_from_name(name: str | bytes) -> int | None:
    """The connection id in a conn, IKE SA or CHILD_SA name of ours; None for anything else."""
    if isinstance(name, bytes):
        name = name.decode(errors="replace")
    match = _CONN_NAME.fullmatch(name)
    return int(match.group(1)) if match else None


def connection_id_from_shared_id(key_id: str | bytes) -> int | None:
    if isinstance(key_id, bytes):
        key_id = key_id.decode(errors="replace")
    match = _SHARED_ID.fullmatch(key_id)
    return int(match.group(1)) if match else None


def children(spec: ConnSpec) -> list[Child]:
    """The CHILD_SAs of a connection.

    One child carries all networks, unless:
    - IKEv1 may be spoken ("ikev1", and "any" as responder): one child per (local, remote)
      pair, because an IKEv1 Quick Mode carries a single pair of selectors and charon would
      silently use only the first one (checked against charon 5.9.8);
    - split (IKEv2): one child per remote CIDR, for devices that want one SA per subnet.
    A lone child keeps the plain name, so toggling split on a single CIDR changes nothing.
    """
    local, remote = tuple(spec.local_cidrs), tuple(spec.remote_cidrs)
    pairs: list[tuple[tuple[str, ...], tuple[str, ...]]]
    if spec.ike_version in (IkeVersion.IKEV1, IkeVersion.ANY):
        pairs = [((loc,), (rem,)) for rem in remote for loc in local]
    elif spec.split:
        pairs = [(local, (rem,)) for rem in remote]
    else:
        pairs = [(local, remote)]
    base = conn_name(spec.connection_id)
    if len(pairs) == 1:
        return [Child(base, *pairs[0])]
    return [Child(f"{base}-{n}", loc, rem) for n, (loc, rem) in enumerate(pairs, start=1)]


def child_names(spec: ConnSpec) -> list[str]:
    return [child.name for child in children(spec)]


def ike_version(spec: ConnSpec) -> str:
    """swanctl's version: 2, 1, or 0 (IKEv2 when initiating, either when responding)."""
    return _VERSION[spec.ike_version]


def ike_proposal(spec: ConnSpec) -> str:
    return policies.ike_proposal(spec.ike_encryption, spec.ike_integrity, spec.ike_dh)


def esp_proposal(spec: ConnSpec) -> str:
    return policies.esp_proposal(spec.esp_encryption, spec.esp_integrity, spec.esp_pfs)


def ike_timers(spec: ConnSpec) -> dict[str, str]:
    """IKE SA renewal: IKEv2 rekeys; IKEv1 cannot rekey an ISAKMP SA, it reauthenticates.

    swanctl.conf(5): rekey_time "is supported in IKEv2 only, IKEv1 performs a
    reauthentication procedure instead", so IKEv1 says what it does with reauth_time.
    "any" keeps rekey_time: charon initiates with IKEv2, and an IKEv1 SA it responds to
    falls back to reauthentication on its own. over_time (hard limit after the soft one) and
    rand_time (jitter against both peers renewing at once) are strongSwan's 10 % defaults,
    written out so the message does not depend on charon's defaults.
    """
    lifetime = spec.ike_lifetime
    margin = lifetime // 10
    if spec.ike_version == IkeVersion.IKEV1:
        renew = {"rekey_time": "0s", "reauth_time": f"{lifetime}s"}
    else:
        renew = {"rekey_time": f"{lifetime}s", "reauth_time": "0s"}
    return {**renew, "over_time": f"{margin}s", "rand_time": f"{margin}s"}


def child_timers(spec: ConnSpec) -> dict[str, str]:
    """CHILD_SA rekeying at the ESP lifetime; hard limit 10 % later (charon's default ratio)."""
    lifetime = spec.esp_lifetime
    margin = lifetime // 10
    return {
        "rekey_time": f"{lifetime}s",
        "life_time": f"{lifetime + margin}s",
        "rand_time": f"{margin}s",
    }


def dpd(spec: ConnSpec) -> dict[str, str]:
    """dpd_timeout only means something to IKEv1 (IKEv2 uses its retransmission timeouts),
    so IKEv2 renders 0s and a change of that unused number does not tear a tunnel down."""
    if not spec.dpd_enabled:
        return {"dpd_delay": "0s", "dpd_timeout": "0s"}
    timeout = spec.dpd_timeout if spec.ike_version != IkeVersion.IKEV2 else 0
    return {"dpd_delay": f"{spec.dpd_delay}s", "dpd_timeout": f"{timeout}s"}


def child_actions(spec: ConnSpec) -> dict[str, str]:
    """What charon does by itself for a child.

    Active: start on load, restart on a dead peer, re-create when the peer closes it.
    Passive: never initiate. start_action "none" rather than "trap": a trap policy makes
    charon initiate as soon as traffic from the VPC matches, which a passive connection
    (the customer's device is the only initiator) must not do.
    """
    if spec.passive:
        return {"start_action": "none", "dpd_action": "clear", "close_action": "none"}
    return {"start_action": "start", "dpd_action": "restart", "close_action": "start"}


def render_conn(spec: ConnSpec) -> dict:
    """The `load-conn` message: {"vpn-<id>": {...}}."""
    child_common = {
        "esp_proposals": [esp_proposal(spec)],
        **child_timers(spec),
        **child_actions(spec),
        "mode": "tunnel",
    }
    conn = {
        "version": ike_version(spec),
        "local_addrs": [spec.gateway_ip],
        "remote_addrs": [spec.peer_ip],
        "proposals": [ike_proposal(spec)],
        **ike_timers(spec),
        **dpd(spec),
        "encap": _yes_no(spec.force_encap),
        # A new IKE SA from the same peer replaces the old one: no duplicates after the
        # customer's device restarts, and the newest authentication wins.
        "unique": "replace",
        # Site-to-site between fixed addresses: nothing roams.
        "mobike": "no",
        "local": {"auth": "psk", "id": identity(*spec.local_identity)},
        "remote": {"auth": "psk", "id": identity(*spec.remote_identity)},
        "children": {
            child.name: {
                "local_ts": list(child.local_ts),
                "remote_ts": list(child.remote_ts),
                **child_common,
            }
            for child in children(spec)
        },
    }
    return {conn_name(spec.connection_id): conn}


def render_shared(spec: ConnSpec) -> dict:
    """The `load-shared` message, owned by the peer's identity alone (its public IP unless the
    tenant named another identity: charon looks a key up by the identities of the two ends).

    Owners are mandatory: a key without owners matches any peer. But charon offers a key
    when EITHER end matches an owner (mem_cred.c, shared_filter), so listing our gateway IP
    too would make every key on this router a candidate for every peer: checked on charon
    5.9.8, a device claiming 192.0.2.2 authenticated with the key of the connection to
    192.0.2.3. With the peer as the only owner, only that connection's key is tried.

    "data" is the key's bytes as they are: charon's load-shared takes the value literally
    (vici_cred.c, load_shared: shared_key_create(type, chunk_clone(data))). Only swanctl
    reads a "0x"/"0s" prefix (in any case: load_creds.c uses strcasepfx) as hex/base64, so a
    key that starts with one is taken literally here, and the device configurations write
    it so that swanctl takes it literally too (vpn.device_configs.swanctl_secret).
    """
    return {
        "id": shared_id(spec.connection_id),
        "type": "IKE",
        "data": spec.psk,
        "owners": [identity(*spec.remote_identity)],
    }


def identity(kind: str, value: str) -> str:
    """An identity (vpn.choices.IdentityType value, value) in strongSwan's syntax (strongSwan
    documentation, "Identity Parsing"): an IP address as it is (an IPv4/IPv6 identity, as
    before identities could be chosen, so those connections render unchanged); any other type
    with its explicit prefix, so that no value is taken for another type: without one, a name
    holding "=" would be read as a DN, and "user@host" and "@name" decide the type by where
    the "@" stands. The device files write the same (strongswan.swanctl.conf.j2).
    """
    return value if kind == "ip" else f"{_IDENTITY_PREFIX[kind]}{value}"


def spec_fingerprint(spec: ConnSpec, key: bytes | None = None) -> str:
    """HMAC-SHA256 (hex) of both messages in canonical JSON, to tell "changed" from "unchanged"
    without diffing list-conns (which does not show every option).

    Keyed with a key derived from PSK_ENCRYPTION_KEYS (vpn.crypto.fingerprint_key) rather than
    a bare hash: the fingerprint is stored in the database and shown to staff, and an unkeyed
    hash of anything holding the PSK lets whoever reads it try PSKs offline. A new PSK still
    changes the fingerprint, so the router gets it.

    Changing this format, or putting a new key first in PSK_ENCRYPTION_KEYS, changes every
    fingerprint: each connection is pushed once more (reconcile.plan counts it as a change, so
    its SAs are renegotiated once), then all is quiet again.
    """
    document = {"conn": render_conn(spec), "shared": render_shared(spec)}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return crypto.keyed_digest(canonical.encode(), key)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"
