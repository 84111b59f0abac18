"""Netgate pfSense 2.7 words (the VPN > IPsec web forms).

Source: pfSense documentation "IPsec Tunnel Configuration: Phase 1 Settings" and "Phase 2
Settings" (Key Exchange version IKEv1 / IKEv2 / Auto; My/Peer identifier types My IP address,
IP address, Distinguished name, User distinguished name, KeyID tag; Encryption Algorithm AES with
key length, AES128-GCM / AES256-GCM; Hash SHA1 ... SHA512; DH groups by number incl. 31;
NAT Traversal Auto / Force; Split connections; PFS key group). pfSense writes the key into
strongSwan base64-encoded after trimming it, so it is taken literally except for spaces at its
ends. pfSense is strongSwan underneath: with IKEv2 it puts all phase 2 entries into one child SA
unless "Split connections" is ticked, as our router does.
"""

from __future__ import annotations

from typing import Any

from vpn import policies
from vpn.choices import IkeVersion
from vpn.device_configs import common
from vpn.strongswan.spec import ConnSpec

DEVICE = "pfSense"
ENCRYPTION = {
    "aes128": "AES, 128 bits",
    "aes192": "AES, 192 bits",
    "aes256": "AES, 256 bits",
    "aes128gcm16": "AES128-GCM, 128 bits",
    "aes256gcm16": "AES256-GCM, 128 bits",
    "3des": "3DES",
}
HASH = {"sha1": "SHA1", "sha256": "SHA256", "sha384": "SHA384", "sha512": "SHA512"}
GROUP = {
    "modp1024": "2 (1024 bit)",
    "modp1536": "5 (1536 bit)",
    "modp2048": "14 (2048 bit)",
    "modp3072": "15 (3072 bit)",
    "modp4096": "16 (4096 bit)",
    "ecp256": "19 (nist ecp256)",
    "ecp384": "20 (nist ecp384)",
    "curve25519": "31 (Elliptic Curve 25519, 256 bit)",
}
VERSION: dict[str, str] = {
    IkeVersion.IKEV2: "IKEv2",
    IkeVersion.IKEV1: "IKEv1",
    IkeVersion.ANY: "Auto",
}
IDENTIFIER = {
    "ip": "IP address",
    "fqdn": "Distinguished name",
    "email": "User distinguished name",
    "keyid": "KeyID tag",
}


def context(spec: ConnSpec) -> dict[str, Any]:
    own, peer = common.identity_words(DEVICE, spec, IDENTIFIER)
    pfs = "off"
    if spec.esp_pfs != policies.PFS_NONE:
        pfs = common.word(DEVICE, GROUP, "esp_pfs", spec.esp_pfs)
    return {
        "version": VERSION[spec.ike_version],
        "ike": {
            "encryption": common.word(DEVICE, ENCRYPTION, "ike_encryption", spec.ike_encryption),
            "hash": common.word(DEVICE, HASH, "ike_integrity", spec.ike_integrity),
            "group": common.word(DEVICE, GROUP, "ike_dh", spec.ike_dh),
        },
        "esp": {
            "encryption": common.word(DEVICE, ENCRYPTION, "esp_encryption", spec.esp_encryption),
            "hash": "(none: GCM authenticates by itself)"
            if spec.esp_encryption in policies.AEAD
            else common.word(DEVICE, HASH, "esp_integrity", spec.esp_integrity),
        },
        "pfs": pfs,
        "own": own,
        "peer": peer,
        "margin": common.margin(spec.esp_lifetime),
        "psk": common.psk_untrimmed(DEVICE, spec.psk),
        "split": spec.split or spec.ike_version != IkeVersion.IKEV2,
        "tunnels": common.tunnels(spec),
    }
