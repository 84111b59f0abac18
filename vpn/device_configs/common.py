"""What every device file shares: refusals that name the setting to change, the header, the
tunnels as the device sees them, and small helpers the vendor modules use.

Everything here is seen from the customer's device: its own networks are `local`, the VPC's are
`remote`; its own identity is the spec's `remote_identity`, the one it must expect from us is
the spec's `local_identity`.
"""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Mapping
from dataclasses import dataclass

from vpn.choices import DhGroup, IdentityType, IkeEncryption, IkeVersion, Integrity, PfsGroup
from vpn.strongswan import render
from vpn.strongswan.spec import ConnSpec

# The customer gateway form's words for the settings a refusal asks to change (its labels).
FIELD_LABELS = {
    "ike_version": "IKE version",
    "ike_encryption": "IKE encryption",
    "ike_integrity": "IKE integrity",
    "ike_dh": "IKE DH group",
    "esp_encryption": "ESP encryption",
    "esp_integrity": "ESP integrity",
    "esp_pfs": "ESP perfect forward secrecy",
    "ike_lifetime": "IKE lifetime",
    "esp_lifetime": "ESP lifetime",
    "dpd_delay": "DPD delay",
    "split_connections": "Split connections",
    "psk": "pre-shared key",
    "remote_id_type": "your device's identity type",
    "local_id_type": "our identity type",
    "remote_id": "your device's identity",
    "local_id": "our identity",
}
_LABELS: dict[str, dict[str, str]] = {
    "ike_version": {v: str(label) for v, label in IkeVersion.choices},
    "ike_encryption": {v: str(label) for v, label in IkeEncryption.choices},
    "esp_encryption": {v: str(label) for v, label in IkeEncryption.choices},
    "ike_integrity": {v: str(label) for v, label in Integrity.choices},
    "esp_integrity": {v: str(label) for v, label in Integrity.choices},
    "ike_dh": {v: str(label) for v, label in DhGroup.choices},
    "esp_pfs": {v: str(label) for v, label in PfsGroup.choices},
    "remote_id_type": {v: str(label) for v, label in IdentityType.choices},
    "local_id_type": {v: str(label) for v, label in IdentityType.choices},
}
# What a tenant-chosen name may carry into a comment line of any of our formats.
_COMMENT_SAFE = frozenset(string.ascii_letters + string.digits + " .,:;_-+()/@[]=")
# What an identity value may hold to be written unquoted on every device's command line.
_IDENTITY_SAFE = frozenset(string.ascii_letters + string.digits + ".-_@:+=/")


# The IANA numbers of our DH groups (RFC 3526, RFC 5903, RFC 8031): most vendors' words are
# these numbers, written their way; each vendor module says which it has.
IANA_GROUP = {
    "modp1024": "2",
    "modp1536": "5",
    "modp2048": "14",
    "modp3072": "15",
    "modp4096": "16",
    "ecp256": "19",
    "ecp384": "20",
    "curve25519": "31",
}


def iana_groups(template: str = "{}", *, without: tuple[str, ...] = ()) -> dict[str, str]:
    """A vendor's group words from the IANA numbers, e.g. template "group{}" gives "group14"."""
    return {k: template.format(n) for k, n in IANA_GROUP.items() if k not in without}


class DeviceRefused(Exception):
    """This device cannot do what the connection does: `field` names the customer gateway
    setting to change, and the message says how ("FortiGate cannot use ...: choose ... for IKE
    DH group.")."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def refuse(device: str, what: str, field: str, instead: str) -> DeviceRefused:
    return DeviceRefused(
        f"{device} cannot use {what}: choose {instead} for {FIELD_LABELS[field]}.", field
    )


def label(field: str, value: str) -> str:
    """The form's label of a choice (e.g. "Group 31 (Curve25519)")."""
    return _LABELS[field].get(value, value)


def word(device: str, words: Mapping[str, str], field: str, value: str) -> str:
    """The vendor's word for our value, or a refusal naming the field."""
    try:
        return words[value]
    except KeyError:
        options = ", ".join(label(field, v) for v in _LABELS[field] if v in words)
        raise refuse(device, label(field, value), field, options or "another value") from None


@dataclass(frozen=True)
class About:
    """The portal's names for a connection, for the file's header (tenant text, made safe)."""

    vpc: str
    customer_gateway: str

    @classmethod
    def of(cls, vpc: str, customer_gateway: str) -> About:
        return cls(vpc=_comment_safe(vpc), customer_gateway=_comment_safe(customer_gateway))


@dataclass(frozen=True)
class Tunnel:
    """One CHILD_SA as the device configures it: its own networks and the VPC's."""

    name: str
    index: int
    local: tuple[str, ...]
    remote: tuple[str, ...]


def tunnels(spec: ConnSpec) -> list[Tunnel]:
    """Our router's children, mirrored (same names, so logs on both ends match)."""
    return [
        Tunnel(child.name, n, child.remote_ts, child.local_ts)
        for n, child in enumerate(render.children(spec), start=1)
    ]


def pair_tunnels(spec: ConnSpec, device: str) -> list[Tunnel]:
    """For devices that negotiate one SA per (local, remote) network pair.

    Such a device, answering our router's IKEv2 child that carries several networks at once,
    narrows or refuses it, so the router's child would cover one network only. Where the device
    starts every SA itself (our side passive), each pair arrives as its own child and our
    router accepts it as part of its wider child; otherwise split connections give one child
    per network on our side too.
    """
    result: list[Tunnel] = []
    for tunnel in tunnels(spec):
        pairs = [(loc, rem) for loc in tunnel.local for rem in tunnel.remote]
        if len(pairs) > 1 and not spec.passive:
            raise DeviceRefused(
                f"{device} cannot carry several networks in one tunnel (it negotiates one SA "
                f"per network pair): turn on {FIELD_LABELS['split_connections']}.",
                "split_connections",
            )
        if len(pairs) == 1:
            result.append(Tunnel(tunnel.name, len(result) + 1, tunnel.local, tunnel.remote))
            continue
        for n, (loc, rem) in enumerate(pairs, start=1):
            result.append(Tunnel(f"{tunnel.name}-{n}", len(result) + 1, (loc,), (rem,)))
    return result


def one_version(spec: ConnSpec, device: str) -> str:
    """The IKE version of a device that speaks exactly one per peer."""
    if spec.ike_version == IkeVersion.ANY:
        raise refuse(
            device,
            '"IKEv1 or IKEv2" (it speaks one version per peer)',
            "ike_version",
            "IKEv2 or IKEv1",
        )
    return spec.ike_version


def own_identity(spec: ConnSpec) -> tuple[str, str]:
    """The device's identity (type, value)."""
    return spec.remote_identity


def peer_identity(spec: ConnSpec) -> tuple[str, str]:
    """The identity the device must expect from our VPN gateway (type, value)."""
    return spec.local_identity


def identity_words(
    device: str, spec: ConnSpec, words: Mapping[str, str]
) -> tuple[tuple[str, str], tuple[str, str]]:
    """(own, peer) identities as (vendor type word, value); refuses a type the device lacks."""
    own, peer = own_identity(spec), peer_identity(spec)
    for field, value in (("remote_id", own[1]), ("local_id", peer[1])):
        if not set(value) <= _IDENTITY_SAFE:
            raise refuse(
                device,
                f"the identity {_comment_safe(value)!r} on its command line",
                field,
                "letters, digits and . - _ @ : + = / only",
            )
    return (
        (word(device, words, "remote_id_type", own[0]), own[1]),
        (word(device, words, "local_id_type", peer[0]), peer[1]),
    )


def refuse_psk(device: str, why: str) -> DeviceRefused:
    return refuse(device, f"this pre-shared key ({why})", "psk", "another key")


def psk_without(device: str, psk: str, chars: str, why: str) -> str:
    """The key, or a refusal when it holds one of `chars` (which the device cannot take)."""
    if any(c in chars for c in psk):
        raise refuse_psk(device, why)
    return psk


def psk_untrimmed(device: str, psk: str) -> str:
    """The key, or a refusal when a web form would drop spaces at its ends."""
    if psk != psk.strip():
        raise refuse_psk(device, "its web form drops spaces at either end of the key")
    return psk


def mask(cidr: str) -> tuple[str, str]:
    """("192.168.10.0", "255.255.255.0")."""
    net = ipaddress.IPv4Network(cidr)
    return str(net.network_address), str(net.netmask)


def wildcard(cidr: str) -> tuple[str, str]:
    """("192.168.10.0", "0.0.0.255"), Cisco's access-list form."""
    net = ipaddress.IPv4Network(cidr)
    return str(net.network_address), str(net.hostmask)


def margin(lifetime: int) -> int:
    """Our router renews 10 % before the hard limit (vpn.strongswan.render timers)."""
    return lifetime // 10


def _comment_safe(text: str) -> str:
    return "".join(c if c in _COMMENT_SAFE else "?" for c in text)[:80]
