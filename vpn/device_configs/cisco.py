"""Cisco's words: IOS / IOS XE (crypto map, and a multi-SA static VTI) and ASA 9.x.

Sources, IOS XE: "Security and VPN Configuration Guide, Cisco IOS XE 17.x" (chapters "Configuring
Internet Key Exchange Version 2 and FlexVPN Site-to-Site", "Configuring Security for VPNs with
IPsec", "Configuring Internet Key Exchange for IPsec VPNs", "IPsec Virtual Tunnel Interfaces"),
and for the exact keywords and ranges Cisco's own YANG model of that command line,
Cisco-IOS-XE-crypto.yang (IOS XE 17.12.1, YangModels/yang vendor/cisco/xe/17121):
- `crypto ikev2 proposal`: encryption 3des | aes-cbc-128 | aes-cbc-192 | aes-cbc-256 |
  aes-gcm-128 | aes-gcm-256; integrity and prf md5 | sha1 | sha256 | sha384 | sha512; group
  1 | 2 | 5 | 14 | 15 | 16 | 19 | 20 | 21 | 24 (no 31). The IKEv2 policy accepts a proposal as
  complete with a CBC cipher and an integrity, or with a GCM cipher and a prf (no integrity);
- `crypto ikev2 policy` `match address local`; keyring peer `address`, `pre-shared-key 0|6`;
  profile `dpd` interval 10-3600, retry 2-60, on-demand | periodic;
- `crypto isakmp policy`: encryption aes [128|192|256] | 3des, hash md5 | sha | sha256 |
  sha384 | sha512, group as above, lifetime 60-86400; `crypto isakmp keepalive` 10-3600,
  retry 2-60; `crypto isakmp identity address`; `crypto isakmp key 0|6 <key> address`;
- `crypto ipsec transform-set`: esp-aes | esp-gcm with a key size 128 | 192 | 256, esp-3des,
  esp-hmac esp-sha-hmac | esp-sha256-hmac | esp-sha384-hmac | esp-sha512-hmac (none with
  esp-gcm); crypto map / ipsec profile `set security-association lifetime seconds` 120-86400.
Our lifetimes (1200-86400 s, vpn.models) are inside every one of these ranges.
Cisco document 214728 "Configure Multi-SA Virtual Tunnel Interface"
(https://www.cisco.com/c/en/us/support/docs/security-vpn/ipsec-negotiation-ike-protocols/214728-configure-multi-sa-virtual-tunnel-interf.html).

Sources, ASA: "Cisco Secure Firewall ASA Series VPN CLI Configuration Guide, 9.x" (chapters
"IPsec and ISAKMP", e.g. https://www.cisco.com/c/en/us/td/docs/security/asa/asa917/configuration/vpn/asa-917-vpn-config/vpn-ike.html,
and "LAN-to-LAN IPsec VPNs": `crypto ikev2 policy`, `crypto ipsec ikev2 ipsec-proposal` with
`protocol esp integrity null` under AES-GCM, `crypto ikev1 policy`, `crypto ipsec ikev1
transform-set`, tunnel-group ipsec-attributes), with the algorithm lists of the same firewall
engine as Cisco publishes them for its management API (CiscoDevNet/terraform-provider-fmc,
gen/definitions/ikev1_policies.yaml, ikev1_ipsec_proposals.yaml, ikev2_policies.yaml): IKEv1
hashes SHA or MD5 only, and an IKEv1 transform set's ESP hash is SHA (esp-sha-hmac), MD5 or
none: no SHA-2 under IKEv1, which is therefore refused; the IKEv2 IPsec proposal's integrity is
sha-1 | sha-256 | sha-384 | sha-512 | null.

Route-based or policy-based on IOS XE: our router offers exactly the VPC and customer networks
as traffic selectors (vpn/strongswan/render.py). The IOS XE 17.x guide, "IPsec Virtual Tunnel
Interfaces", Restrictions: a static VTI supports a single IPsec SA whose traffic selector is
always "IP any any", which is not what our side proposes or accepts. Cisco document 214728: from
IOS XE 16.12 a static VTI given an access list (`tunnel protection ipsec policy ipv4 <acl>`)
negotiates like a crypto map ("backwards compatible with crypto map based and other policy
based implementations"), one SA per access list entry. So "cisco-ios" is the crypto map file
for every IOS / IOS XE, and "cisco-ios-vti" the route-based multi-SA VTI for IOS XE 16.12 and
later, IKEv2 only (the IKEv1 variant of that feature is not confirmed in the documents above).
IOS XE has no Curve25519 (group 31) in those guides or its YANG model, so it is refused; ASA
has it only in recent releases (an ASA 9.20 example), so the 9.x file refuses it too.
"""

from __future__ import annotations

from typing import Any

from vpn import policies
from vpn.choices import IkeVersion
from vpn.device_configs import common
from vpn.strongswan.spec import ConnSpec

IOS = "Cisco IOS XE"
IOS_VTI = "Cisco IOS XE multi-SA VTI"
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
# SHA-1 only: an ASA IKEv1 transform set hashes with esp-sha-hmac, esp-md5-hmac or esp-none.
ASA_IKEV1_ESP_INTEGRITY = {"sha1": "esp-sha-hmac"}
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


def _dpd(spec: ConnSpec, max_retry: int = 60) -> dict[str, int] | None:
    """IOS `dpd` takes an interval of 10-3600 s and a retry of 2-60 s; ASA `isakmp keepalive`
    a threshold of 10-3600 s and a retry of 2-10 s. DPD is not negotiated (each side probes on
    its own), so the portal's delay is brought into those ranges rather than refused."""
    if not spec.dpd_enabled:
        return None
    interval = min(3600, max(10, spec.dpd_delay))
    retry = max(2, min(max_retry, (spec.dpd_timeout - spec.dpd_delay) // 3 or 2))
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


def ios_vti(spec: ConnSpec) -> dict[str, Any]:
    """The crypto map's words, for a static VTI that negotiates its access list's networks."""
    if spec.ike_version != IkeVersion.IKEV2:
        raise common.refuse(
            IOS_VTI, common.label("ike_version", spec.ike_version), "ike_version", "IKEv2"
        )
    context = ios(spec)
    return {
        **context,
        "acl": [entry for _, entries in context["tunnels"] for entry in entries],
        "routes": [" ".join(common.mask(cidr)) for cidr in spec.local_cidrs],
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
        encryption = common.word(
            ASA, ASA_IKEV1_ESP_ENCRYPTION, "esp_encryption", spec.esp_encryption
        )
        if spec.esp_integrity not in ASA_IKEV1_ESP_INTEGRITY:
            raise common.DeviceRefused(
                f"{ASA} cannot use {common.label('esp_integrity', spec.esp_integrity)} for "
                f"{common.FIELD_LABELS['esp_integrity']} with IKEv1 (its IKEv1 transform sets "
                f"hash with SHA-1 only): choose {common.label('esp_integrity', 'sha1')} for "
                f"{common.FIELD_LABELS['esp_integrity']}"
                f", or IKEv2 for {common.FIELD_LABELS['ike_version']}.",
                "esp_integrity",
            )
        transform = [encryption, ASA_IKEV1_ESP_INTEGRITY[spec.esp_integrity]]
        context["transform"] = " ".join(transform)
    tunnels = common.pair_tunnels(spec, ASA)
    return {
        **context,
        "own": own,
        "peer": peer,
        "psk": psk,
        "pfs": _pfs(ASA, spec),
        "dpd": _dpd(spec, max_retry=10),
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
