"""Presets of the customer gateway form: IKE/ESP policies that fill the form in one click.

Data only, in our own words (vpn/choices.py); the form renders them and the model's clean()
judges the result like anything a tenant types. A preset is offered only when every value in
it passes the operator's crypto policy (vpn/policies.py), so a click never fills in a refusal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from vpn import policies
from vpn.choices import CryptoStatus, DhGroup, IkeEncryption, IkeVersion, Integrity, PfsGroup

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PolicyValues = Mapping[str, str | int | bool]


@dataclass(frozen=True)
class Preset:
    key: str
    label: StrOrPromise
    description: StrOrPromise
    values: PolicyValues
    # Said when the preset is not offered because of the crypto policy; empty: not mentioned.
    unavailable_hint: StrOrPromise = ""

    @property
    def values_json(self) -> str:
        """The values for the form's script (data-preset-values)."""
        return json.dumps(dict(self.values))

    def blocked_by(self, rules: policies.Rules, *, allow_legacy: bool) -> list[str]:
        """The fields whose preset value the operator forbids (empty: the preset is offered)."""
        values = {k: str(v) for k, v in self.values.items() if k in policies.FIELD_KINDS}
        return [
            finding.field
            for finding in policies.policy_findings(values, rules, allow_legacy=allow_legacy)
            if finding.status == CryptoStatus.FORBIDDEN
        ]


PRESETS: tuple[Preset, ...] = (
    # Our own advice: AEAD for IKE and ESP, an elliptic-curve group for both, the current
    # strongSwan and NIST recommendations; every device in issue 13's list does these.
    Preset(
        key="recommended",
        label=(_("Recommended (IKEv2, AES-256-GCM, group 20)")),
        description=(
            _("IKEv2 with AES-256-GCM, SHA-384 as the PRF and group 20 (ECP 384) for both phases.")
        ),
        values={
            "ike_version": IkeVersion.IKEV2.value,
            "ike_encryption": IkeEncryption.AES256GCM16.value,
            "ike_integrity": Integrity.SHA384.value,  # the PRF with GCM
            "ike_dh": DhGroup.ECP384.value,
            "esp_encryption": IkeEncryption.AES256GCM16.value,
            "esp_integrity": "",
            "esp_pfs": PfsGroup.ECP384.value,
            "ike_lifetime": 28800,
            "esp_lifetime": 3600,
        },
    ),
    # AWS Site-to-Site VPN, "Tunnel options for your Site-to-Site VPN connection"
    # (docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html): by default a tunnel accepts
    # IKEv1 and IKEv2; phase 1 AES128, AES256, AES128-GCM-16, AES256-GCM-16 with SHA1,
    # SHA2-256/384/512 and DH groups 2, 14-24; phase 2 the same ciphers, groups 2, 5, 14-24;
    # phase 1 lifetime 28,800 s, phase 2 3,600 s. We offer one proposal, so we pick from
    # those lists what this portal allows by default: AES-256, SHA2-256, group 14 in both
    # phases, and AWS's two lifetimes.
    Preset(
        key="aws",
        label=(_("Compatible with AWS defaults")),
        description=(
            _(
                "What an AWS Site-to-Site VPN tunnel accepts by default: IKEv2, AES-256, "
                "SHA-256, group 14 with PFS, lifetimes 28,800 s and 3,600 s."
            )
        ),
        values={
            "ike_version": IkeVersion.IKEV2.value,
            "ike_encryption": IkeEncryption.AES256.value,
            "ike_integrity": Integrity.SHA256.value,
            "ike_dh": DhGroup.MODP2048.value,
            "esp_encryption": IkeEncryption.AES256.value,
            "esp_integrity": Integrity.SHA256.value,
            "esp_pfs": PfsGroup.MODP2048.value,
            "ike_lifetime": 28800,
            "esp_lifetime": 3600,
        },
    ),
    # Azure VPN Gateway's default policy, "About VPN devices and IPsec/IKE parameters for
    # Site-to-Site VPN Gateway connections" (learn.microsoft.com/azure/vpn-gateway/
    # vpn-gateway-about-vpn-devices, "IPsec/IKE parameters"): route-based main mode uses
    # DH group 2 (1024 bit) only, AES256 with SHA1 or SHA256 (AES256/SHA256 is offered),
    # SA lifetime 28,800 s; quick mode's first offer is GCM AES256 without PFS, SA lifetime
    # 27,000 s. Group 2 is legacy here, so this preset is offered only where the operator
    # allows group 2; otherwise the hint says what to set on the Azure side instead.
    Preset(
        key="azure",
        label=(_("Compatible with Azure defaults")),
        description=(
            _(
                "What an Azure VPN gateway accepts without a custom policy: IKEv2, AES-256, "
                "SHA-256, group 2; ESP AES-256-GCM without PFS; lifetimes 28,800 s and 27,000 s."
            )
        ),
        values={
            "ike_version": IkeVersion.IKEV2.value,
            "ike_encryption": IkeEncryption.AES256.value,
            "ike_integrity": Integrity.SHA256.value,
            "ike_dh": DhGroup.MODP1024.value,
            "esp_encryption": IkeEncryption.AES256GCM16.value,
            "esp_integrity": "",
            "esp_pfs": PfsGroup.NONE.value,
            "ike_lifetime": 28800,
            "esp_lifetime": 27000,
        },
        unavailable_hint=(
            _(
                "Azure's default policy needs DH group 2, which this portal does not allow. "
                "Give the Azure connection a custom IPsec/IKE policy (for example GCMAES256, "
                "SHA384, ECP384, PFS ECP384) and choose Recommended here."
            )
        ),
    ),
    # For devices that speak only IKEv1 with group 2 (older firmware of the listed vendors).
    # Offered only where the operator allows group 2 (ALLOW_LEGACY_CRYPTO or a crypto rule).
    Preset(
        key="legacy-ikev1",
        label=(_("Legacy IKEv1 (if the operator allows it)")),
        description=(
            _(
                "IKEv1 main mode, AES-256, SHA-1, group 2 with PFS: for devices that cannot "
                "do better."
            )
        ),
        values={
            "ike_version": IkeVersion.IKEV1.value,
            "ike_encryption": IkeEncryption.AES256.value,
            "ike_integrity": Integrity.SHA1.value,
            "ike_dh": DhGroup.MODP1024.value,
            "esp_encryption": IkeEncryption.AES256.value,
            "esp_integrity": Integrity.SHA1.value,
            "esp_pfs": PfsGroup.MODP1024.value,
            "ike_lifetime": 28800,
            "esp_lifetime": 3600,
            "split_connections": False,  # IKEv1 cannot split
        },
    ),
)

BY_KEY = {preset.key: preset for preset in PRESETS}


def offered(rules: policies.Rules, *, allow_legacy: bool) -> list[Preset]:
    return [p for p in PRESETS if not p.blocked_by(rules, allow_legacy=allow_legacy)]


def unavailable_hints(
    rules: policies.Rules, *, allow_legacy: bool
) -> list[tuple[Preset, StrOrPromise]]:
    """The presets not offered that say why (and what to do instead)."""
    return [
        (p, p.unavailable_hint)
        for p in PRESETS
        if p.unavailable_hint and p.blocked_by(rules, allow_legacy=allow_legacy)
    ]
