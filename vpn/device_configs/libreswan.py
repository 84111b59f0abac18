"""Libreswan 4.x words (ipsec.conf and ipsec.secrets).

Checked against Libreswan 4.x's own source (repository libreswan/libreswan, tags v4.0 ... v4.15):
the ipsec.conf(5) man page sources configs/d.ipsec.conf/*.xml (ikev2= yes|no, ike= "cipher-
hash;modpgroup" where for AES-GCM the second word is the PRF, esp= ENCRYPT[-INTEG][-DH] with
"esp=aes_gcm256" for GCM, pfs=, leftid= with "@" for a literal name and "@[...]" for a text
key id, ikelifetime= and salifetime= at most 24h, rekeymargin=, rekeyfuzz=, dpddelay=,
dpdtimeout=, dpdaction=restart, encapsulation= yes|no|auto, keyingtries=%forever),
lib/libswan/id.c (identity parsing: no "@" is an address, "@name" an FQDN, "user@domain" an
email, "@[text]" a key id), the algorithm names in lib/libswan/ike_alg_*.c (aes, aes_gcm,
sha1, sha2_256/384/512, modp1536 ... modp4096, dh19, dh20, dh31; aes_gcm has no IKEv1 IKE id)
and mk/config.mk: USE_DH2 is off by default ("As of libreswan 4.x, modp1024(dh2) support is no
longer compiled in", ipsec.conf(5) ike=), so group 2 is refused. ipsec.secrets(5): a quoted
preshared secret is taken literally.
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
# No modp1024: Libreswan 4 is built without DH2 (mk/config.mk USE_DH2).
DH = {
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
    """ipsec.conf(5) leftid: "@" marks a name taken literally, "@[...]" a key id; a value with
    "@" inside (user@domain) is an email (ID_USER_FQDN), one without an address."""
    if kind == "fqdn":
        return f"@{value}"
    if kind == "keyid":
        return f"@[{value}]"
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
