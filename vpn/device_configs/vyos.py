"""VyOS 1.4 (sagitta) words.

Source: VyOS 1.4 documentation "IPsec Site-to-Site VPN" (vyos-documentation,
docs/configuration/vpn/site2site_ipsec.rst) and its "IPsec general" page: ike-group/esp-group
proposals (encryption aes128, aes256, aes128gcm128, aes256gcm128, 3des; hash sha1 ... sha512;
dh-group numbers incl. 31), key-exchange ikev1|ikev2, esp-group pfs dh-groupN|disable,
dead-peer-detection action/interval/timeout, authentication psk (id, secret), site-to-site peer
authentication local-id/remote-id, force-udp-encapsulation, tunnel N local/remote prefix.
VyOS writes swanctl.conf underneath: ids are strongSwan identities, an IKE proposal with GCM
takes the hash as its PRF, and the key lands in a quoted swanctl secret, where strongSwan reads
a leading 0x/0s as hex/base64 (swanctl.conf(5)).
"""

from __future__ import annotations

from typing import Any

from vpn import policies
from vpn.choices import IkeVersion
from vpn.device_configs import common, strongswan
from vpn.strongswan.spec import ConnSpec

DEVICE = "VyOS 1.4"
ENCRYPTION = {
    "aes128": "aes128",
    "aes192": "aes192",
    "aes256": "aes256",
    "aes128gcm16": "aes128gcm128",
    "aes256gcm16": "aes256gcm128",
    "3des": "3des",
}
HASH = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
GROUP = common.iana_groups()
KEY_EXCHANGE: dict[str, str] = {IkeVersion.IKEV2: "ikev2", IkeVersion.IKEV1: "ikev1"}


def context(spec: ConnSpec) -> dict[str, Any]:
    version = common.one_version(spec, DEVICE)
    common.identity_words(DEVICE, spec, strongswan.IDENTITY_PREFIX)
    if spec.psk[:2].lower() in ("0x", "0s"):
        raise common.refuse_psk(
            DEVICE, "strongSwan under VyOS reads a key starting with 0x or 0s as hex or base64"
        )
    pfs = "disable"
    if spec.esp_pfs != policies.PFS_NONE:
        pfs = "dh-group" + common.word(DEVICE, GROUP, "esp_pfs", spec.esp_pfs)
    return {
        "key_exchange": KEY_EXCHANGE[version],
        "ike": {
            "encryption": common.word(DEVICE, ENCRYPTION, "ike_encryption", spec.ike_encryption),
            "hash": common.word(DEVICE, HASH, "ike_integrity", spec.ike_integrity),
            "group": common.word(DEVICE, GROUP, "ike_dh", spec.ike_dh),
        },
        "esp": {
            "encryption": common.word(DEVICE, ENCRYPTION, "esp_encryption", spec.esp_encryption),
            "hash": None
            if spec.esp_encryption in policies.AEAD
            else common.word(DEVICE, HASH, "esp_integrity", spec.esp_integrity),
        },
        "pfs": pfs,
        "own_id": strongswan.identity(*common.own_identity(spec)),
        "peer_id": strongswan.identity(*common.peer_identity(spec)),
        # Single quotes in the VyOS shell take every character of our keys literally.
        "psk": f"'{spec.psk}'",
        "tunnels": common.tunnels(spec),
    }
