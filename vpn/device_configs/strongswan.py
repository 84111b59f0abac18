"""strongSwan's words: the swanctl.conf file (vici) and the legacy ipsec.conf file (starter/stroke).

Sources: strongSwan documentation "swanctl.conf" and "ipsec.conf: conn Reference" (5.9),
"IKEv2 Cipher Suites" and "Identity Parsing" (the `fqdn:`, `email:`, `keyid:` prefixes), and
ipsec.secrets(5) of strongSwan 5.9. Algorithm words are our own (vpn/policies.py speaks
strongSwan), so there is no algorithm map here: the proposals are vpn.policies' strings.
"""

from __future__ import annotations

import base64
import string
from typing import Any

from vpn.choices import IkeVersion
from vpn.device_configs import common
from vpn.strongswan import render
from vpn.strongswan.spec import ConnSpec

DEVICE = "strongSwan (ipsec.conf)"
# Characters a swanctl.conf quoted string carries as they are; anything else (and a key that
# swanctl would read as hex "0x..." or base64 "0s...") is written base64-encoded.
_PLAIN = frozenset(string.ascii_letters + string.digits + string.punctuation + " ") - {'"', "\\"}
# swanctl decodes a secret starting with these in any case (load_creds.c: strcasepfx), quoted or
# not. Our router takes every key literally (see render.render_shared), so such a key is written
# encoded and the device takes it literally too. Literal on both ends, rather than refusing such
# keys, keeps every key a tenant already has working, on the router unchanged and on any device
# configured by hand; only a file downloaded before this rule (which swanctl misread) changes.
_DECODED_PREFIXES = ("0x", "0s")
# ipsec.conf(5) keyexchange: "ike" initiates IKEv2 and accepts IKEv1 too, as our "any" does.
KEYEXCHANGE: dict[str, str] = {
    IkeVersion.IKEV2: "ikev2",
    IkeVersion.IKEV1: "ikev1",
    IkeVersion.ANY: "ike",
}
# strongSwan "Identity Parsing": an explicit type prefix, so no value is taken for another type.
IDENTITY_PREFIX = {"ip": "", "fqdn": "fqdn:", "email": "email:", "keyid": "keyid:"}


def identity(kind: str, value: str) -> str:
    return IDENTITY_PREFIX[kind] + value


def swanctl_secret(psk: str) -> str:
    """The key as a swanctl.conf value: quoted when plain, else "0s" + base64 of its bytes."""
    plain = psk and set(psk) <= _PLAIN and psk[:2].lower() not in _DECODED_PREFIXES
    if plain:
        return f'"{psk}"'
    return "0s" + base64.b64encode(psk.encode()).decode()


def swanctl_conf(spec: ConnSpec) -> dict[str, Any]:
    """swanctl.conf (strongSwan 5.8+): our router's own words, mirrored."""
    return {
        "version": render.ike_version(spec),
        "ike_proposal": render.ike_proposal(spec),
        "esp_proposal": render.esp_proposal(spec),
        "ike_timers": render.ike_timers(spec),
        "child_timers": render.child_timers(spec),
        "dpd": render.dpd(spec),
        "encap": "yes" if spec.force_encap else "no",
        # Re-create a tunnel the cloud side closed only when the cloud side will not:
        # both ends restarting at once leaves duplicate IKE SAs behind.
        "close_action": "start" if spec.passive else "none",
        "children": render.children(spec),
        "secret": swanctl_secret(spec.psk),
    }


def ipsec_conf(spec: ConnSpec) -> dict[str, Any]:
    """ipsec.conf (strongSwan 5.x starter): one conn per child of our router.

    stroke derives the renewal from `ikelifetime`/`lifetime` minus `margintime` (jitter
    `rekeyfuzz` % of the margin), with one margin for both SAs; margin = our ESP margin and both
    lifetimes raised by it give the rekey times of our router exactly (IKE rekey at
    ike_lifetime, CHILD rekey at esp_lifetime, jitter = the margin as ours).
    """
    own, peer = common.own_identity(spec), common.peer_identity(spec)
    extra = common.margin(spec.esp_lifetime)
    ikev1 = spec.ike_version == IkeVersion.IKEV1
    dpd = {}
    if spec.dpd_enabled:
        dpd = {"dpddelay": f"{spec.dpd_delay}s", "dpdaction": "restart"}
        if spec.ike_version != IkeVersion.IKEV2:
            dpd["dpdtimeout"] = f"{spec.dpd_timeout}s"
    return {
        "keyexchange": KEYEXCHANGE[spec.ike_version],
        "own_id": identity(*own),
        "peer_id": identity(*peer),
        "ike": render.ike_proposal(spec) + "!",
        "esp": render.esp_proposal(spec) + "!",
        "ikelifetime": f"{spec.ike_lifetime + extra}s",
        "lifetime": f"{spec.esp_lifetime + extra}s",
        "margintime": f"{extra}s",
        "reauth": "yes" if ikev1 else "no",
        "dpd": dpd,
        "closeaction": "restart" if spec.passive else "none",
        "forceencaps": "yes" if spec.force_encap else "no",
        "tunnels": common.tunnels(spec),
        "secret": f'"{spec.psk}"',
    }
