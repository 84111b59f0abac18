"""Libreswan 4.x words (ipsec.conf and ipsec.secrets).

Sources: Libreswan 4.x ipsec.conf(5) (`ike=`, `esp=`, `ikev2=`, `leftid=`, `ikelifetime=`,
`salifetime=`, `dpddelay=`, `encapsulation=`) and ipsec.secrets(5) ("a preshared secret is
most conveniently represented as a sequence of characters, delimited by double-quote
characters": taken literally). Algorithm names from the "Supported Algorithms" table of the
libreswan.org wiki (aes, aes_gcm, sha1, sha2_256..., modp2048, dh19, dh20, dh31).
"""

from __future__ import annotations

from typing import Any

from vpn import policies
from vpn.choices import IkeVersion
from vpn.device_configs import common
from vpn.strongswan.spec import ConnSpec

DEVICE = "Libreswan 4"
ENCRYPTION = {
    "aes128": "aes128",
    "aes192": "aes192",
    "aes256": "aes256",
    "aes128gcm16": "aes_gcm128",
    "aes256gcm16": "aes_gcm256",
    "3des": "3des",
}
INTEGRITY = {"sha1": "sha1", "sha256": "sha2_256", "sha384": "sha2_384", "sha512": "sha2_512"}
DH = {
    "modp1024": "modp1024",
    "modp1536": "modp1536",
    "modp2048": "modp2048",
    "modp3072": "modp3072",
    "modp4096": "modp4096",
    "ecp256": "dh19",
    "ecp384": "dh20",
    "curve25519": "dh31",
}
IKEV2: dict[str, str] = {IkeVersion.IKEV2: "yes", IkeVersion.IKEV1: "no"}


def identity(kind: str, value: str) -> str:
    """ipsec.conf(5) leftid: "@" marks a name taken literally, "@#" a key id in hex; an
    address with "@" inside (user@domain) is an email (ID_USER_FQDN)."""
    if kind == "fqdn":
        return f"@{value}"
    if kind == "keyid":
        return "@#" + value.encode().hex()
    return value


def context(spec: ConnSpec) -> dict[str, Any]:
    version = common.one_version(spec, DEVICE)
    ike_enc = common.word(DEVICE, ENCRYPTION, "ike_encryption", spec.ike_encryption)
    ike_int = common.word(DEVICE, INTEGRITY, "ike_integrity", spec.ike_integrity)
    dh = common.word(DEVICE, DH, "ike_dh", spec.ike_dh)
    esp_enc = common.word(DEVICE, ENCRYPTION, "esp_encryption", spec.esp_encryption)
    esp = esp_enc
    if spec.esp_encryption not in policies.AEAD:
        esp += "-" + common.word(DEVICE, INTEGRITY, "esp_integrity", spec.esp_integrity)
    pfs = spec.esp_pfs != policies.PFS_NONE
    if pfs:
        esp += ";" + common.word(DEVICE, DH, "esp_pfs", spec.esp_pfs)
    own, peer = common.own_identity(spec), common.peer_identity(spec)
    common.identity_words(DEVICE, spec, {k: k for k in ("ip", "fqdn", "email", "keyid")})
    extra = common.margin(spec.esp_lifetime)
    return {
        "ikev2": IKEV2[version],
        # With AES-GCM the second word is IKE's pseudo-random function (ike=aes_gcm256-sha2_256).
        "ike": f"{ike_enc}-{ike_int};{dh}",
        "esp": esp,
        "pfs": "yes" if pfs else "no",
        "own_id": identity(*own),
        "peer_id": identity(*peer),
        "ikelifetime": f"{spec.ike_lifetime}s",
        "salifetime": f"{spec.esp_lifetime}s",
        "rekeymargin": f"{extra}s",
        "dpd": spec.dpd_enabled,
        "encapsulation": "yes" if spec.force_encap else "auto",
        "tunnels": common.pair_tunnels(spec, DEVICE),
        "secret": f'"{spec.psk}"',
    }
