"""VyOS 1.4 (sagitta) words.

Checked against VyOS 1.4's own source (repository vyos/vyos-1x, branch sagitta):
interface-definitions/vpn_ipsec.xml.in with include/vpn-ipsec-encryption.xml.i and
include/vpn-ipsec-hash.xml.i (encryption aes128 | aes192 | aes256 | aes128gcm128 | aes256gcm128 |
3des ...; hash sha1 | sha256 | sha384 | sha512 ...; ike-group dh-group 1 ... 32; esp-group pfs
dh-groupN | enable | disable; key-exchange ikev1 | ikev2; dead-peer-detection action
trap | clear | restart, interval and timeout 2-86400; esp-group lifetime 30-86400), and
data/templates/ipsec/swanctl/peer.j2, swanctl.conf.j2 and python/vyos/template.py
(get_esp_ike_cipher) for what it writes. The VyOS documentation "IPsec Site-to-Site VPN"
(vyos/vyos-documentation, docs/configuration/vpn/site2site_ipsec.rst) describes the commands.
- get_esp_ike_cipher skips a proposal without both encryption and hash, so an AES-GCM ESP
  proposal still names a hash; strongSwan drops integrity algorithms from an AEAD proposal
  (proposal.c check_proposal), so it changes nothing on the wire. In IKE the hash of a GCM
  proposal becomes the PRF, as our router's prf<hash>.
- Ids are strongSwan identities (written quoted into swanctl.conf); the key lands in a quoted
  swanctl secret, where strongSwan reads a leading 0x/0s as hex/base64 (swanctl.conf(5)).
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
            # VyOS needs a hash in every proposal; with GCM it is not used (see above).
            "hash": common.word(DEVICE, HASH, "ike_integrity", spec.ike_integrity)
            if spec.esp_encryption in policies.AEAD
            else common.word(DEVICE, HASH, "esp_integrity", spec.esp_integrity),
            "aead": spec.esp_encryption in policies.AEAD,
        },
        "pfs": pfs,
        "own_id": strongswan.identity(*common.own_identity(spec)),
        "peer_id": strongswan.identity(*common.peer_identity(spec)),
        # Single quotes in the VyOS shell take every character of our keys literally.
        "psk": f"'{spec.psk}'",
        "tunnels": common.tunnels(spec),
    }
