"""The IKE/ESP algorithm catalogue and its mapping to strongSwan proposal strings.

This is the one place that knows strongSwan's algorithm words. Everything here is pure:
values from `vpn.choices` in, strings and lists out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from vpn.choices import DhGroup, IkeEncryption, IkeVersion, Integrity, PfsGroup

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LEGACY_ENCRYPTION = frozenset({IkeEncryption.TRIPLE_DES.value})
LEGACY_DH = frozenset({DhGroup.MODP1024.value, DhGroup.MODP1536.value})
# AEAD ciphers authenticate by themselves: no integrity algorithm in ESP, and IKE needs an
# explicit pseudo-random function, which we take from the integrity choice.
AEAD = frozenset({IkeEncryption.AES128GCM16.value, IkeEncryption.AES256GCM16.value})
PFS_NONE = PfsGroup.NONE.value
_LEGACY_NAMES = {
    "3des": "3DES",
    "modp1024": "DH group 2 (MODP 1024)",
    "modp1536": "DH group 5 (MODP 1536)",
}

Choices: TypeAlias = "list[tuple[str, StrOrPromise]]"  # labels are lazy translations


def encryption_choices(allow_legacy: bool) -> Choices:
    return [
        (v, label)
        for v, label in IkeEncryption.choices
        if allow_legacy or v not in LEGACY_ENCRYPTION
    ]


def dh_choices(allow_legacy: bool) -> Choices:
    return [(v, label) for v, label in DhGroup.choices if allow_legacy or v not in LEGACY_DH]


def pfs_choices(allow_legacy: bool) -> Choices:
    return [(v, label) for v, label in PfsGroup.choices if allow_legacy or v not in LEGACY_DH]


def ike_proposal(encryption: str, integrity: str, dh_group: str) -> str:
    """The IKE proposal, e.g. "aes256-sha256-modp2048" or "aes256gcm16-prfsha256-modp2048"."""
    if encryption in AEAD:
        return f"{encryption}-prf{integrity}-{dh_group}"
    return f"{encryption}-{integrity}-{dh_group}"


def esp_proposal(encryption: str, integrity: str, pfs_group: str) -> str:
    """The ESP proposal, e.g. "aes256-sha256-modp2048", "aes256gcm16" or "aes256-sha256"."""
    parts = [encryption] if encryption in AEAD else [encryption, integrity]
    if pfs_group != PFS_NONE:
        parts.append(pfs_group)
    return "-".join(parts)


def validate_policy(
    *,
    ike_version: str,
    ike_encryption: str,
    ike_integrity: str,
    ike_dh: str,
    esp_encryption: str,
    esp_integrity: str,
    esp_pfs: str,
    allow_legacy: bool,
    check_known: bool = True,
) -> dict[str, str]:
    """Errors by form field name; empty when strongSwan can negotiate this policy.

    With GCM, ESP ignores the integrity choice (given or empty, both fine) while IKE needs it
    as its pseudo-random function. ``check_known=False`` leaves unknown values to the caller
    (a model's fields refuse what is not one of their choices, in their own words).
    """
    errors: dict[str, str] = {}
    if esp_encryption not in AEAD and not esp_integrity:  # GCM ignores it; a form may clear it
        errors["esp_integrity"] = "Choose an integrity algorithm (only GCM goes without)."
    if check_known:
        _check_known(errors, "ike_version", ike_version, IkeVersion.values)
        _check_known(errors, "ike_encryption", ike_encryption, IkeEncryption.values)
        _check_known(errors, "ike_integrity", ike_integrity, Integrity.values)
        _check_known(errors, "ike_dh", ike_dh, DhGroup.values)
        _check_known(errors, "esp_encryption", esp_encryption, IkeEncryption.values)
        if esp_encryption not in AEAD and esp_integrity:
            _check_known(errors, "esp_integrity", esp_integrity, Integrity.values)
        _check_known(errors, "esp_pfs", esp_pfs, PfsGroup.values)
    if not allow_legacy:
        for field, value in (
            ("ike_encryption", ike_encryption),
            ("esp_encryption", esp_encryption),
        ):
            if value in LEGACY_ENCRYPTION:
                errors.setdefault(field, _legacy_message(value, "AES"))
        for field, value in (("ike_dh", ike_dh), ("esp_pfs", esp_pfs)):
            if value in LEGACY_DH:
                errors.setdefault(field, _legacy_message(value, "group 14 (MODP 2048) or stronger"))
    if ike_version == IkeVersion.IKEV1 and ike_encryption in AEAD:
        errors.setdefault(
            "ike_encryption",
            "IKEv1 cannot protect its IKE SA with AES-GCM: choose AES (CBC) for IKE, or IKEv2.",
        )
    return errors


def catalogue() -> list[tuple[str, str]]:
    """(IKE proposal, ESP proposal) pairs covering every proposal the forms can produce.

    Legacy algorithms are included. IKE and ESP proposals are accepted or refused by charon
    independently, so instead of the full cross product each distinct IKE proposal and each
    distinct ESP proposal appears in at least one pair.
    """
    ike = sorted(
        {
            ike_proposal(enc, integ, dh)
            for enc in IkeEncryption.values
            for integ in Integrity.values
            for dh in DhGroup.values
        }
    )
    esp = sorted(
        {
            esp_proposal(enc, integ, pfs)
            for enc in IkeEncryption.values
            for integ in Integrity.values
            for pfs in PfsGroup.values
        }
    )
    count = max(len(ike), len(esp))
    return [(ike[i % len(ike)], esp[i % len(esp)]) for i in range(count)]


def _legacy_message(value: str, instead: str) -> str:
    return f"{_LEGACY_NAMES[value]} is a legacy algorithm and is not allowed; choose {instead}."


def _check_known(errors: dict[str, str], field: str, value: str, known: list[str]) -> None:
    if value not in known:
        errors[field] = f"Unknown value {value!r}."
