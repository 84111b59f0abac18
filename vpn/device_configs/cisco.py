"""Cisco's words: IOS / IOS XE (IKEv2 and IKEv1 crypto maps) and ASA 9.x.

Sources: "Security for VPNs with IPsec Configuration Guide, Cisco IOS XE 17" (chapters
"Configuring Internet Key Exchange Version 2 and FlexVPN Site-to-Site": `crypto ikev2 proposal`
encryption/integrity/prf/group keywords, `crypto ikev2 profile` identity and dpd; "Configuring
Security for VPNs with IPsec": transform-set keywords, `set pfs groupN`; "Configuring Internet Key
Exchange for IPsec VPNs": `crypto isakmp policy` encryption/hash/group) and "Cisco Secure
Firewall ASA Series VPN CLI Configuration Guide, 9.x" (chapters "IPsec and ISAKMP" and
"LAN-to-LAN IPsec VPNs": `crypto ikev2 policy`, `crypto ipsec ikev2 ipsec-proposal`,
`crypto ikev1 policy`, `crypto ipsec ikev1 transform-set`, tunnel-group ipsec-attributes).

IOS uses crypto maps (policy-based) and not a route-based VTI: our router offers exactly the
VPC and customer networks as traffic selectors, and a static VTI negotiates any/any, which our
router refuses. Neither IOS nor ASA has Curve25519 (group 31) in those guides, so it is refused.
"""

from __future__ import annotations

from typing import Any

from vpn import policies
from vpn.choices import IkeVersion
from vpn.device_configs import common
from vpn.strongswan.spec import ConnSpec

IOS = "Cisco IOS XE"
ASA = "Cisco ASA"
# Keys are typed on the command line: "?" asks for help there, a space ends the word.
CLI_BREAKERS = "? "
CLI_WHY = 'the command line reads "?" as a request for help and a space as the end of the key'

# IOS XE: crypto ikev2 proposal
IOS_IKEV2_ENCRYPTION = {
    "aes128": "aes-cbc-128",
    "aes192": "aes-cbc-192",
    "aes256": "aes-cbc-256",
    "aes128gcm16": "aes-gcm-128",
    "aes256gcm16": "aes-gcm-256",
    "3des": "3des",
}
IOS_INTEGRITY = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
IOS_GROUP = common.iana_groups(without=("curve25519",))
# IOS XE: crypto isakmp policy (IKEv1)
IOS_ISAKMP_ENCRYPTION = {"aes128": "aes", "aes192": "aes 192", "aes256": "aes 256", "3des": "3des"}
IOS_ISAKMP_HASH = {"sha1": "sha", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
# IOS XE: crypto ipsec transform-set
IOS_ESP_ENCRYPTION = {
    "aes128": "esp-aes",
    "aes192": "esp-aes 192",
    "aes256": "esp-aes 256",
    "aes128gcm16": "esp-gcm 128",
    "aes256gcm16": "esp-gcm 256",
    "3des": "esp-3des",
}
IOS_ESP_INTEGRITY = {
    "sha1": "esp-sha-hmac",
    "sha256": "esp-sha256-hmac",
    "sha384": "esp-sha384-hmac",
    "sha512": "esp-sha512-hmac",
}
# IOS XE: crypto ikev2 profile "identity local" / "match identity remote"
IOS_IDENTITY = {"ip": "address", "fqdn": "fqdn", "email": "email", "keyid": "key-id"}

# ASA: crypto ikev2 policy / crypto ipsec ikev2 ipsec-proposal
ASA_IKEV2_ENCRYPTION = {
    "aes128": "aes",
    "aes192": "aes-192",
    "aes256": "aes-256",
    "aes128gcm16": "aes-gcm",
    "aes256gcm16": "aes-gcm-256",
    "3des": "3des",
}
ASA_IKEV2_INTEGRITY = {"sha1": "sha", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
ASA_ESP_INTEGRITY = {"sha1": "sha-1", "sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}
# ASA: crypto ikev1 policy (hash md5 or sha only) / crypto ipsec ikev1 transform-set
ASA_IKEV1_ENCRYPTION = {"aes128": "aes", "aes192": "aes-192", "aes256": "aes-256", "3des": "3des"}
ASA_IKEV1_HASH = {"sha1": "sha"}
ASA_IKEV1_ESP_ENCRYPTION = {
    "aes128": "esp-aes",
    "aes192": "esp-aes-192",
    "aes256": "esp-aes-256",
    "3des": "esp-3des",
}
ASA_IKEV1_ESP_INTEGRITY = {
    "sha1": "esp-sha-hmac",
    "sha256": "esp-sha-256-hmac",
    "sha384": "esp-sha-384-hmac",
    "sha512": "esp-sha-512-hmac",
}
ASA_GROUP = IOS_GROUP
# ASA: crypto isakmp identity (its own identity, global): an address or a key id; a host name
# would be the ASA's own configured name, not one we choose.
ASA_IDENTITY = {"ip": "address", "keyid": "key-id"}
ASA_PEER_IDENTITY = {"ip": "ip", "fqdn": "fqdn", "email": "email", "keyid": "key-id"}


def _acl(tunnel: common.Tunnel) -> list[str]:
    return [
        "{} {} {} {}".format(*common.wildcard(loc), *common.wildcard(rem))
        for loc in tunnel.local
        for rem in tunnel.remote
    ]


def _pfs(device: str, spec: ConnSpec) -> str | None:
    if spec.esp_pfs == policies.PFS_NONE:
        return None
    return common.word(device, IOS_GROUP, "esp_pfs", spec.esp_pfs)


def _dpd(spec: ConnSpec) -> dict[str, int] | None:
    """IOS/ASA take a DPD interval of 10 s or more; a shorter portal delay is raised to 10."""
    if not spec.dpd_enabled:
        return None
    interval = max(10, spec.dpd_delay)
    retry = max(2, min(60, (spec.dpd_timeout - spec.dpd_delay) // 3 or 2))
    return {"interval": interval, "retry": retry}


def ios(spec: ConnSpec) -> dict[str, Any]:
    version = common.one_version(spec, IOS)
    psk = common.psk_without(IOS, spec.psk, CLI_BREAKERS, CLI_WHY)
    group = common.word(IOS, IOS_GROUP, "ike_dh", spec.ike_dh)
    context: dict[str, Any] = {"ikev2": version == IkeVersion.IKEV2}
    if version == IkeVersion.IKEV2:
        own, peer = common.identity_words(IOS, spec, IOS_IDENTITY)
        context["ike"] = {
            "encryption": common.word(
                IOS, IOS_IKEV2_ENCRYPTION, "ike_encryption", spec.ike_encryption
            ),
            "integrity": common.word(IOS, IOS_INTEGRITY, "ike_integrity", spec.ike_integrity),
            "aead": spec.ike_encryption in policies.AEAD,
            "group": group,
        }
    else:
        own, peer = common.identity_words(IOS, spec, {"ip": "address"})
        context["ike"] = {
            "encryption": common.word(
                IOS, IOS_ISAKMP_ENCRYPTION, "ike_encryption", spec.ike_encryption
            ),
            "hash": common.word(IOS, IOS_ISAKMP_HASH, "ike_integrity", spec.ike_integrity),
            "group": group,
        }
    transform = [common.word(IOS, IOS_ESP_ENCRYPTION, "esp_encryption", spec.esp_encryption)]
    if spec.esp_encryption not in policies.AEAD:
        transform.append(common.word(IOS, IOS_ESP_INTEGRITY, "esp_integrity", spec.esp_integrity))
    tunnels = common.pair_tunnels(spec, IOS)
    return {
        **context,
        "own": own,
        "peer": peer,
        "psk": psk,
        "transform": " ".join(transform),
        "pfs": _pfs(IOS, spec),
        "dpd": _dpd(spec),
        "tunnels": [(tunnel, _acl(tunnel)) for tunnel in tunnels],
    }


def asa(spec: ConnSpec) -> dict[str, Any]:
    version = common.one_version(spec, ASA)
    psk = common.psk_without(ASA, spec.psk, CLI_BREAKERS, CLI_WHY)
    own, _ = common.identity_words(ASA, spec, ASA_IDENTITY)
    _, peer = common.identity_words(ASA, spec, ASA_PEER_IDENTITY)
    group = common.word(ASA, ASA_GROUP, "ike_dh", spec.ike_dh)
    context: dict[str, Any] = {"ikev2": version == IkeVersion.IKEV2}
    if version == IkeVersion.IKEV2:
        aead = spec.ike_encryption in policies.AEAD
        integrity = common.word(ASA, ASA_IKEV2_INTEGRITY, "ike_integrity", spec.ike_integrity)
        context["ike"] = {
            "encryption": common.word(
                ASA, ASA_IKEV2_ENCRYPTION, "ike_encryption", spec.ike_encryption
            ),
            "integrity": "null" if aead else integrity,
            "prf": integrity,
            "group": group,
        }
        esp_aead = spec.esp_encryption in policies.AEAD
        context["esp"] = {
            "encryption": common.word(
                ASA, ASA_IKEV2_ENCRYPTION, "esp_encryption", spec.esp_encryption
            ),
            "integrity": "null"
            if esp_aead
            else common.word(ASA, ASA_ESP_INTEGRITY, "esp_integrity", spec.esp_integrity),
        }
    else:
        context["ike"] = {
            "encryption": common.word(
                ASA, ASA_IKEV1_ENCRYPTION, "ike_encryption", spec.ike_encryption
            ),
            "hash": common.word(ASA, ASA_IKEV1_HASH, "ike_integrity", spec.ike_integrity),
            "group": group,
        }
        transform = [
            common.word(ASA, ASA_IKEV1_ESP_ENCRYPTION, "esp_encryption", spec.esp_encryption),
            common.word(ASA, ASA_IKEV1_ESP_INTEGRITY, "esp_integrity", spec.esp_integrity),
        ]
        context["transform"] = " ".join(transform)
    tunnels = common.pair_tunnels(spec, ASA)
    return {
        **context,
        "own": own,
        "peer": peer,
        "psk": psk,
        "pfs": _pfs(ASA, spec),
        "dpd": _dpd(spec),
        "tunnels": [
            (
                tunnel,
                [
                    f"{' '.join(common.mask(loc))} {' '.join(common.mask(rem))}"
                    for loc in tunnel.local
                    for rem in tunnel.remote
                ],
            )
            for tunnel in tunnels
        ],
    }
