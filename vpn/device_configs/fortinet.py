"""Fortinet FortiGate (FortiOS 7.x) words.

Source: FortiOS 7.0 CLI Reference, "config vpn ipsec phase1-interface"
(docs.fortinet.com/document/fortigate/7.0.0/cli-reference/370620) and "config vpn ipsec
phase2-interface" in the same reference, cross-checked against the option lists of the FortiOS
REST API schema (as published in Fortinet's API client libraries): phase 1 proposal
aes128|aes192|aes256|3des-sha1|sha256|sha384|sha512 and aes128gcm|aes256gcm-prfsha1 ...
prfsha512, dhgrp 1 2 5 14-21 27-32, ike-version 1|2, localid-type auto|fqdn|user-fqdn|keyid|
address|asn1dn, peertype any|one|dialup|peer|peergrp with peerid, nattraversal
enable|disable|forced, dpd disable|on-idle|on-demand with dpd-retrycount and
dpd-retryinterval, net-device, keylife 120-172800; phase 2 proposal aes128-sha256 ... and
aes128gcm | aes256gcm (no hash), pfs enable|disable with dhgrp, keylifeseconds 120-172800,
src-subnet/dst-subnet, auto-negotiate. AES-GCM in phase 1 needs IKEv2 (our form refuses it with
IKEv1 anyway); phase 2 GCM works with both. Not confirmed from a Fortinet page: that "?" in a
quoted psksecret still asks for help (we refuse such keys to be safe), and the exact meaning
of dpd-retryinterval with on-idle (we give it our DPD delay).
"""

from __future__ import annotations

from typing import Any

from vpn import policies
from vpn.choices import IkeVersion
from vpn.device_configs import common
from vpn.strongswan.spec import ConnSpec

DEVICE = "FortiGate"
CIPHER = {
    "aes128": "aes128",
    "aes192": "aes192",
    "aes256": "aes256",
    "aes128gcm16": "aes128gcm",
    "aes256gcm16": "aes256gcm",
    "3des": "3des",
}
HASH = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
DHGRP = common.iana_groups()
VERSION: dict[str, str] = {IkeVersion.IKEV2: "2", IkeVersion.IKEV1: "1"}
LOCALID_TYPE = {"ip": "address", "fqdn": "fqdn", "email": "user-fqdn", "keyid": "keyid"}
CLI_WHY = 'the FortiOS command line reads "?" as a request for help'


def _proposal(cipher: str, aead: bool, hash_word: str, ike: bool) -> str:
    if not aead:
        return f"{cipher}-{hash_word}"
    return f"{cipher}-prf{hash_word}" if ike else cipher


def context(spec: ConnSpec) -> dict[str, Any]:
    version = common.one_version(spec, DEVICE)
    own, peer = common.identity_words(DEVICE, spec, LOCALID_TYPE)
    ike_aead = spec.ike_encryption in policies.AEAD
    esp_aead = spec.esp_encryption in policies.AEAD
    phase1 = _proposal(
        common.word(DEVICE, CIPHER, "ike_encryption", spec.ike_encryption),
        ike_aead,
        common.word(DEVICE, HASH, "ike_integrity", spec.ike_integrity),
        ike=True,
    )
    phase2 = _proposal(
        common.word(DEVICE, CIPHER, "esp_encryption", spec.esp_encryption),
        esp_aead,
        "" if esp_aead else common.word(DEVICE, HASH, "esp_integrity", spec.esp_integrity),
        ike=False,
    )
    pfs = None
    if spec.esp_pfs != policies.PFS_NONE:
        pfs = common.word(DEVICE, DHGRP, "esp_pfs", spec.esp_pfs)
    return {
        "version": VERSION[version],
        "phase1": phase1,
        "phase2": phase2,
        "dhgrp": common.word(DEVICE, DHGRP, "ike_dh", spec.ike_dh),
        "pfs": pfs,
        "own": own,
        "peer": peer,
        "nattraversal": "forced" if spec.force_encap else "enable",
        # dpd-retryinterval is the idle time before probing; dpd-retrycount the probes lost.
        "dpd": {"interval": spec.dpd_delay, "count": 3} if spec.dpd_enabled else None,
        "psk": '"' + common.psk_without(DEVICE, spec.psk, "?", CLI_WHY) + '"',
        "tunnels": [
            (tunnel, common.mask(tunnel.local[0]), common.mask(tunnel.remote[0]))
            for tunnel in common.pair_tunnels(spec, DEVICE)
        ],
    }
