"""Palo Alto Networks PAN-OS 10.x/11.x words.

Sources: PAN-OS 11.0 Administrator's Guide, "Site-to-Site VPN" (IKE Crypto Profile: encryption
aes-128-cbc ... aes-256-gcm, hash/authentication sha1 ... sha512, dh-group group1 ... group21;
IPsec Crypto Profile: esp encryption/authentication, dh-group or no-pfs; IKE gateway version
ikev1, ikev2 or ikev2-preferred; local-id/peer-id types ipaddr, fqdn, ufqdn, keyid; proxy IDs)
and the PAN-OS CLI Quick Start (`set network ike ...`). No group 31 in those guides. IKE with
AES-GCM is IKEv2 only and then takes the hash as its PRF, as our router does.
"""

from __future__ import annotations

from typing import Any

from vpn import policies
from vpn.choices import IkeVersion
from vpn.device_configs import common
from vpn.strongswan.spec import ConnSpec

DEVICE = "PAN-OS"
ENCRYPTION = {
    "aes128": "aes-128-cbc",
    "aes192": "aes-192-cbc",
    "aes256": "aes-256-cbc",
    "aes128gcm16": "aes-128-gcm",
    "aes256gcm16": "aes-256-gcm",
    "3des": "3des",
}
HASH = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
GROUP = common.iana_groups("group{}", without=("curve25519",))
# ikev2-preferred: starts with IKEv2 and answers IKEv1 too, like our "any".
VERSION: dict[str, str] = {
    IkeVersion.IKEV2: "ikev2",
    IkeVersion.IKEV1: "ikev1",
    IkeVersion.ANY: "ikev2-preferred",
}
ID_TYPE = {"ip": "ipaddr", "fqdn": "fqdn", "email": "ufqdn", "keyid": "keyid"}
CLI_WHY = 'the PAN-OS command line reads "?" as a request for help'


def context(spec: ConnSpec) -> dict[str, Any]:
    own, peer = common.identity_words(DEVICE, spec, ID_TYPE)
    esp_aead = spec.esp_encryption in policies.AEAD
    return {
        "version": VERSION[spec.ike_version],
        "ikev1": spec.ike_version != IkeVersion.IKEV2,
        "ikev2": spec.ike_version != IkeVersion.IKEV1,
        "ike": {
            "encryption": common.word(DEVICE, ENCRYPTION, "ike_encryption", spec.ike_encryption),
            "hash": common.word(DEVICE, HASH, "ike_integrity", spec.ike_integrity),
            "group": common.word(DEVICE, GROUP, "ike_dh", spec.ike_dh),
        },
        "esp": {
            "encryption": common.word(DEVICE, ENCRYPTION, "esp_encryption", spec.esp_encryption),
            "authentication": "none"
            if esp_aead
            else common.word(DEVICE, HASH, "esp_integrity", spec.esp_integrity),
        },
        "pfs": "no-pfs"
        if spec.esp_pfs == policies.PFS_NONE
        else common.word(DEVICE, GROUP, "esp_pfs", spec.esp_pfs),
        "own": own,
        "peer": peer,
        "psk": '"' + common.psk_without(DEVICE, spec.psk, "?", CLI_WHY) + '"',
        "tunnels": common.pair_tunnels(spec, DEVICE),
    }
