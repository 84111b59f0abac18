"""Netgate pfSense 2.7 words (the VPN > IPsec web forms).

Checked against pfSense CE 2.7.2's own source, the forms the tenant fills in (repository
pfsense/pfsense, branch RELENG_2_7_2): src/etc/inc/ipsec.inc ($p1_ealgos, $p2_ealgos,
$p1_halgos, $p2_halgos, $p1_dhgroups, $p2_pfskeygroups, $my_identifier_list,
$peer_identifier_list, $ipsec_startactions, $ipsec_closeactions, $p2_modes) and
src/usr/local/www/vpn_ipsec_phase1.php / vpn_ipsec_phase2.php (field labels and choices), with
the Netgate documentation "IPsec Tunnel Configuration: Phase 1 Settings / Phase 2 Settings"
(its URL not checked here).

- Encryption: "AES" with a Key length of 128/192/256 bits, or "AES128-GCM"/"AES256-GCM" with a
  key length (there: the ICV) of 64/96/128 bits; 128 bits is strongSwan's gcm16. There is no
  3DES in 2.7 (it was removed in 2.5), so 3DES is refused.
- Hash SHA1/SHA256/SHA384/SHA512; DH groups "14 (2048 bit)" ... "31 (Elliptic Curve 25519,
  256 bit)". With AES-GCM in phase 1 the hash is proposed as the PRF (strongSwan derives the
  PRF from it: proposal.c check_proposal), so no "PRF Selection" is needed.
- Identifiers: "IP address", "Fully qualified domain name", "User fully qualified domain name /
  E-mail", "KeyID tag".
- Phase 1 DPD: a "Dead Peer Detection" checkbox, Delay and Max failures; for IKEv1 pfSense
  writes dpd_timeout = Delay x (Max failures + 1), IKEv2 uses retransmission timeouts.
- The key: pfSense trims it and writes it base64-encoded (ipsec.inc: '0s' .
  base64_encode(trim(...))), so it is taken literally except for spaces at its ends.
- pfSense is strongSwan underneath: with IKEv2 it puts all phase 2 entries into one child SA
  unless "Split connections" is ticked, as our router does; IKEv1 has one SA per entry.
"""

from __future__ import annotations

from typing import Any

from vpn import policies
from vpn.choices import IkeVersion
from vpn.device_configs import common
from vpn.strongswan.spec import ConnSpec

DEVICE = "pfSense"
# The Algorithm select and its Key length select; no 3DES in pfSense 2.7.
ENCRYPTION = {
    "aes128": "AES",
    "aes192": "AES",
    "aes256": "AES",
    "aes128gcm16": "AES128-GCM",
    "aes256gcm16": "AES256-GCM",
}
KEY_LENGTH = {
    "aes128": "128 bits",
    "aes192": "192 bits",
    "aes256": "256 bits",
    "aes128gcm16": "128 bits",
    "aes256gcm16": "128 bits",
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
    "fqdn": "Fully qualified domain name",
    "email": "User fully qualified domain name / E-mail",
    "keyid": "KeyID tag",
}


def context(spec: ConnSpec) -> dict[str, Any]:
    own, peer = common.identity_words(DEVICE, spec, IDENTIFIER)
    pfs = "off"
    if spec.esp_pfs != policies.PFS_NONE:
        pfs = common.word(DEVICE, GROUP, "esp_pfs", spec.esp_pfs)
    dpd_failures = None
    if spec.dpd_enabled:
        # IKEv1 times out after Delay x (Max failures + 1); IKEv2 ignores Max failures.
        dpd_failures = max(1, spec.dpd_timeout // spec.dpd_delay - 1)
    return {
        "version": VERSION[spec.ike_version],
        "mode": "Main" if spec.ike_version != IkeVersion.IKEV2 else None,
        "ike": {
            "encryption": common.word(DEVICE, ENCRYPTION, "ike_encryption", spec.ike_encryption),
            "key_length": KEY_LENGTH[spec.ike_encryption],
            "hash": common.word(DEVICE, HASH, "ike_integrity", spec.ike_integrity),
            "group": common.word(DEVICE, GROUP, "ike_dh", spec.ike_dh),
        },
        "esp": {
            "encryption": common.word(DEVICE, ENCRYPTION, "esp_encryption", spec.esp_encryption),
            "key_length": KEY_LENGTH[spec.esp_encryption],
            "hash": "(none: GCM authenticates by itself)"
            if spec.esp_encryption in policies.AEAD
            else common.word(DEVICE, HASH, "esp_integrity", spec.esp_integrity),
        },
        "pfs": pfs,
        "own": own,
        "peer": peer,
        "ike_margin": common.margin(spec.ike_lifetime),
        "margin": common.margin(spec.esp_lifetime),
        "dpd_failures": dpd_failures,
        "psk": common.psk_untrimmed(DEVICE, spec.psk),
        "split": spec.split or spec.ike_version != IkeVersion.IKEV2,
        "tunnels": common.tunnels(spec),
    }
