"""Palo Alto Networks PAN-OS 10.x/11.x words.

Sources: PAN-OS Administrator's Guide (10.2, 11.x), "VPNs" > "Site-to-Site VPN" (IKE Crypto
Profile: encryption aes-128-cbc ... aes-256-gcm, authentication/hash sha1 ... sha512, dh-group
group1 ... group21; IPsec Crypto Profile: esp encryption/authentication, dh-group or no-pfs; IKE
gateway version ikev1, ikev2 or ikev2-preferred; local-id/peer-id types ipaddr, fqdn, ufqdn,
keyid; proxy IDs; "IKEv2" > "Traffic Selectors") and the PAN-OS CLI Quick Start / CLI command
hierarchy, "network ike" and "network tunnel ipsec" (crypto profile lifetime seconds 180-65535,
minutes 3-65535, hours 1-65535, days 1-365; gateway dpd interval 2-100, IKEv1 dpd retry 2-100).
The IKE gateway's local address is an interface plus one of its addresses "as configured",
i.e. with the mask or as an address object: the XML `local-address/interface` and
`local-address/ip` (PaloAltoNetworks/pango, netw/ikegw/entry.go) and, in Palo Alto's Ansible
collection (PaloAltoNetworks/pan-os-ansible, plugins/modules/panos_ike_gateway.py),
`local_ip_address`: "It should include the mask, such as '192.168.1.1/24'". So the file leaves
it as <LOCAL-ADDRESS> for the tenant rather than a bare address no interface entry matches.
The same sources give the gateway's version words (ikev1, ikev2, ikev2-preferred) and id types
(ipaddr, fqdn, ufqdn, keyid). No group 31 in those guides. IKE with AES-GCM is IKEv2 only and
then takes the hash as its PRF, as our router does.
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
# A crypto profile's lifetime: one unit, each with its range (CLI hierarchy, see above).
LIFETIME_UNITS = (("hours", 3600, 65535), ("minutes", 60, 65535), ("seconds", 1, 65535))
DPD_INTERVAL = (2, 100)


def lifetime(field: str, seconds: int) -> str:
    """The lifetime in the largest unit that holds it exactly ("hours 24"), or a refusal."""
    for unit, size, most in LIFETIME_UNITS:
        if seconds % size == 0 and 1 <= seconds // size <= most:
            return f"{unit} {seconds // size}"
    raise common.refuse(
        DEVICE,
        f"a lifetime of {seconds} seconds (more than 65535 seconds must be whole minutes)",
        field,
        "a multiple of 60 seconds",
    )


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
        "ike_lifetime": lifetime("ike_lifetime", spec.ike_lifetime),
        "esp_lifetime": lifetime("esp_lifetime", spec.esp_lifetime),
        # DPD is not negotiated (each side probes on its own): brought into PAN-OS's range.
        "dpd_interval": min(DPD_INTERVAL[1], max(DPD_INTERVAL[0], spec.dpd_delay)),
        "own": own,
        "peer": peer,
        "psk": '"' + common.psk_without(DEVICE, spec.psk, "?", CLI_WHY) + '"',
        "tunnels": common.pair_tunnels(spec, DEVICE),
    }
