"""Deciso OPNsense 24.x words (VPN > IPsec > Connections, the swanctl-based forms).

Source: OPNsense documentation "IPsec: Connections" (24.1; Proposals and ESP proposals chosen from
strongSwan proposal strings, Version "IKEv1+IKEv2" / "IKEv1" / "IKEv2", UDP encapsulation, Rekey
time, DPD delay/timeout, Local/Remote Authentication with "Id", Children with Local/Remote Nets,
Start action, DPD action) and "IPsec: Pre-Shared Keys" (Local Identifier, Remote Identifier,
Pre-Shared Key). OPNsense is strongSwan underneath, so its algorithm words are strongSwan's (our
vpn.policies strings) and identities follow strongSwan's "Identity Parsing".
"""

from __future__ import annotations

from typing import Any

from vpn.choices import IkeVersion
from vpn.device_configs import common, strongswan
from vpn.strongswan import render
from vpn.strongswan.spec import ConnSpec

DEVICE = "OPNsense"
VERSION: dict[str, str] = {
    IkeVersion.IKEV2: "IKEv2",
    IkeVersion.IKEV1: "IKEv1",
    IkeVersion.ANY: "IKEv1+IKEv2",
}


def context(spec: ConnSpec) -> dict[str, Any]:
    own, peer = common.own_identity(spec), common.peer_identity(spec)
    common.identity_words(DEVICE, spec, strongswan.IDENTITY_PREFIX)
    return {
        "version": VERSION[spec.ike_version],
        "ike_proposal": render.ike_proposal(spec),
        "esp_proposal": render.esp_proposal(spec),
        "ike_timers": render.ike_timers(spec),
        "child_timers": render.child_timers(spec),
        "dpd": render.dpd(spec),
        "own_id": strongswan.identity(*own),
        "peer_id": strongswan.identity(*peer),
        "psk": common.psk_untrimmed(DEVICE, spec.psk),
        "tunnels": common.tunnels(spec),
    }
