"""MikroTik RouterOS 7 words (/ip ipsec).

Source: MikroTik RouterOS documentation "IPsec" (help.mikrotik.com/docs/display/ROS/IPsec),
sections Profiles, Peers, Identities, Proposals and Policies, as transcribed into the
validation lists of the terraform-routeros provider (terraform-routeros/
terraform-provider-routeros, routeros/resource_ip_ipsec_{profile,peer,identity,proposal}.go,
each linking the section it copies):
- profile enc-algorithm 3des | aes-128 | aes-192 | aes-256 | blowfish | camellia-* | des: no
  AES-GCM for IKE, so it is refused; hash-algorithm md5 | sha1 | sha256 | sha512 (no SHA-384);
  prf-algorithm auto | sha1 | sha256 | sha384 | sha512; dh-group modp768 ... modp8192, ecp256,
  ecp384, ecp521 (no Curve25519); dpd-interval (or disable-dpd), dpd-maximum-failures 1-100;
- peer exchange-mode main | aggressive | base | ike2, local-address, send-initial-contact;
- identity my-id / remote-id address: | fqdn: | user-fqdn: | key-id:, where remote-id's fqdn,
  user-fqdn and key-id are "only supported in IKEv2"; secret: "if it starts with '0x', it is
  parsed as a hexadecimal value", so such a key is refused (ours is taken literally);
- proposal enc-algorithms (aes-128-cbc ... aes-256-gcm, 3des), auth-algorithms md5 | null |
  sha1 | sha256 | sha512 (no SHA-384), pfs-group (modp*, ecp*, none); policy tunnel=yes.
"Scripting" (help.mikrotik.com/docs/display/ROS/Scripting) for the escapes inside double
quotes (a backslash before " \\ $ and ?).
"""

from __future__ import annotations

from typing import Any

from vpn import policies
from vpn.choices import IkeVersion
from vpn.device_configs import common
from vpn.strongswan.spec import ConnSpec

DEVICE = "MikroTik RouterOS"
# No AES-GCM among the profile's algorithms: refused for IKE (ESP has it).
PROFILE_ENCRYPTION = {"aes128": "aes-128", "aes192": "aes-192", "aes256": "aes-256", "3des": "3des"}
# SHA-384 is not among the profile's hash algorithms (only its PRFs): refused.
PROFILE_HASH = {"sha1": "sha1", "sha256": "sha256", "sha512": "sha512"}
PROPOSAL_ENCRYPTION = {
    "aes128": "aes-128-cbc",
    "aes192": "aes-192-cbc",
    "aes256": "aes-256-cbc",
    "aes128gcm16": "aes-128-gcm",
    "aes256gcm16": "aes-256-gcm",
    "3des": "3des",
}
PROPOSAL_AUTH = {"sha1": "sha1", "sha256": "sha256", "sha512": "sha512"}
GROUP = {
    "modp1024": "modp1024",
    "modp1536": "modp1536",
    "modp2048": "modp2048",
    "modp3072": "modp3072",
    "modp4096": "modp4096",
    "ecp256": "ecp256",
    "ecp384": "ecp384",
}
EXCHANGE_MODE: dict[str, str] = {IkeVersion.IKEV2: "ike2", IkeVersion.IKEV1: "main"}
ID_TYPE = {"ip": "address", "fqdn": "fqdn", "email": "user-fqdn", "keyid": "key-id"}
_ESCAPES = {"\\": "\\\\", '"': '\\"', "$": "\\$", "?": "\\?"}


def quoted(text: str) -> str:
    """A RouterOS script string: "$" would start a variable and "?" ask for help."""
    return '"' + "".join(_ESCAPES.get(c, c) for c in text) + '"'


def duration(seconds: int) -> str:
    """RouterOS time, e.g. 1d, 8h, 1h20m."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def context(spec: ConnSpec) -> dict[str, Any]:
    version = common.one_version(spec, DEVICE)
    own, peer = common.identity_words(DEVICE, spec, ID_TYPE)
    if version == IkeVersion.IKEV1 and common.peer_identity(spec)[0] != "ip":
        raise common.refuse(
            DEVICE,
            "a remote-id other than an address with IKEv1",
            "local_id_type",
            "IP address (or use IKEv2)",
        )
    if spec.psk[:2].lower() == "0x":
        raise common.refuse_psk(DEVICE, "RouterOS reads a key starting with 0x as hexadecimal")
    ike_hash = common.word(DEVICE, PROFILE_HASH, "ike_integrity", spec.ike_integrity)
    pfs = "none"
    if spec.esp_pfs != policies.PFS_NONE:
        pfs = common.word(DEVICE, GROUP, "esp_pfs", spec.esp_pfs)
    esp_aead = spec.esp_encryption in policies.AEAD
    return {
        "exchange_mode": EXCHANGE_MODE[version],
        "profile": {
            "encryption": common.word(
                DEVICE, PROFILE_ENCRYPTION, "ike_encryption", spec.ike_encryption
            ),
            "hash": ike_hash,
            "prf": ike_hash if version == IkeVersion.IKEV2 else "auto",
            "group": common.word(DEVICE, GROUP, "ike_dh", spec.ike_dh),
            "lifetime": duration(spec.ike_lifetime),
        },
        "proposal": {
            "encryption": common.word(
                DEVICE, PROPOSAL_ENCRYPTION, "esp_encryption", spec.esp_encryption
            ),
            "auth": "null"
            if esp_aead
            else common.word(DEVICE, PROPOSAL_AUTH, "esp_integrity", spec.esp_integrity),
            "pfs": pfs,
            "lifetime": duration(spec.esp_lifetime),
        },
        "dpd": {"interval": duration(spec.dpd_delay), "failures": 5} if spec.dpd_enabled else None,
        "own": quoted(f"{own[0]}:{own[1]}"),
        "peer": quoted(f"{peer[0]}:{peer[1]}"),
        "psk": quoted(spec.psk),
        "tunnels": common.pair_tunnels(spec, DEVICE),
    }
