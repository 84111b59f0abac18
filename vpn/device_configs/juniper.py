"""Juniper SRX (Junos OS) words.

Sources: "Junos OS IPsec VPN User Guide for Security Devices", topic "Traffic Selectors in
Route-Based VPNs"
(https://www.juniper.net/documentation/us/en/software/junos/vpn-ipsec/topics/topic-map/security-traffic-selectors-in-route-based-vpns.html:
`traffic-selector <name> local-ip <prefix> remote-ip <prefix>` under `security ipsec vpn`, one
SA per selector, IKEv1 from 12.1X46-D10, IKEv2 from 15.1X49-D100), the configuration statement
references of `security ike proposal` (authentication-algorithm / dh-group /
encryption-algorithm / lifetime-seconds 180-86400), `security ipsec proposal`,
`perfect-forward-secrecy keys`, "local-identity" / "remote-identity" (inet, hostname,
user-at-hostname, distinguished-name: no key id found) and "dead-peer-detection" (always-send,
interval, threshold 1-5). AES-GCM in an IKE proposal is IKEv2 only there, and no reference found
says which PRF Junos then uses (our router takes the integrity choice as PRF); so IKE with GCM
is refused here (ESP with GCM is fine). No group 31 in those references.
"""

from __future__ import annotations

from typing import Any

from vpn import policies
from vpn.choices import IkeVersion
from vpn.device_configs import common
from vpn.strongswan.spec import ConnSpec

DEVICE = "Juniper SRX"
IKE_ENCRYPTION = {
    "aes128": "aes-128-cbc",
    "aes192": "aes-192-cbc",
    "aes256": "aes-256-cbc",
    "3des": "3des-cbc",
}
ESP_ENCRYPTION = {
    **IKE_ENCRYPTION,
    "aes128gcm16": "aes-128-gcm",
    "aes256gcm16": "aes-256-gcm",
}
IKE_AUTHENTICATION = {"sha1": "sha1", "sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}
ESP_AUTHENTICATION = {
    "sha1": "hmac-sha1-96",
    "sha256": "hmac-sha-256-128",
    "sha384": "hmac-sha-384-192",
    "sha512": "hmac-sha-512-256",
}
GROUP = common.iana_groups("group{}", without=("curve25519",))
VERSION: dict[str, str] = {IkeVersion.IKEV2: "v2-only", IkeVersion.IKEV1: "v1-only"}
IDENTITY = {"ip": "inet", "fqdn": "hostname", "email": "user-at-hostname"}


def context(spec: ConnSpec) -> dict[str, Any]:
    version = common.one_version(spec, DEVICE)
    own, peer = common.identity_words(DEVICE, spec, IDENTITY)
    esp_aead = spec.esp_encryption in policies.AEAD
    return {
        "version": VERSION[version],
        "ike": {
            "encryption": common.word(
                DEVICE, IKE_ENCRYPTION, "ike_encryption", spec.ike_encryption
            ),
            "authentication": common.word(
                DEVICE, IKE_AUTHENTICATION, "ike_integrity", spec.ike_integrity
            ),
            "group": common.word(DEVICE, GROUP, "ike_dh", spec.ike_dh),
        },
        "esp": {
            "encryption": common.word(
                DEVICE, ESP_ENCRYPTION, "esp_encryption", spec.esp_encryption
            ),
            "authentication": None
            if esp_aead
            else common.word(DEVICE, ESP_AUTHENTICATION, "esp_integrity", spec.esp_integrity),
        },
        "pfs": None
        if spec.esp_pfs == policies.PFS_NONE
        else common.word(DEVICE, GROUP, "esp_pfs", spec.esp_pfs),
        "own": own,
        "peer": peer,
        # Junos: dead-peer-detection interval 2-60 s, threshold 1-5.
        "dpd": {"interval": min(60, max(2, spec.dpd_delay)), "threshold": 5}
        if spec.dpd_enabled
        else None,
        # A quoted Junos string takes every character of our keys (no quote, no backslash).
        "psk": f'"{spec.psk}"',
        "tunnels": common.pair_tunnels(spec, DEVICE),
    }
