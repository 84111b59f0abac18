"""The IKE/ESP algorithm catalogue and its mapping to strongSwan proposal strings.

This is the one place that knows strongSwan's algorithm words. Everything here is pure:
values from `vpn.choices` in, strings and lists out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vpn.choices import (
    CryptoKind,
    CryptoStatus,
    DhGroup,
    IkeEncryption,
    IkeVersion,
    Integrity,
    PfsGroup,
)

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


# The operator's crypto policy (vpn.models.CryptoRule) -------------------------------------------
#
# Each rule marks one value of one kind allowed, deprecated or forbidden. A value without a rule
# is allowed, but for the legacy values (3DES, groups 2 and 5): they follow the
# ALLOW_LEGACY_CRYPTO setting (forbidden unless it is set), as before there were rules; a rule
# for a legacy value overrides the setting either way.

# (kind, value) -> (status, the operator's note for tenants, may be empty)
Rules: TypeAlias = Mapping[tuple[str, str], tuple[str, str]]

# Which kind of rule governs each policy field of a customer gateway.
FIELD_KINDS: dict[str, str] = {
    "ike_version": CryptoKind.IKE_VERSION.value,
    "ike_encryption": CryptoKind.ENCRYPTION.value,
    "ike_integrity": CryptoKind.INTEGRITY.value,
    "ike_dh": CryptoKind.DH_GROUP.value,
    "esp_encryption": CryptoKind.ENCRYPTION.value,
    "esp_integrity": CryptoKind.INTEGRITY.value,
    "esp_pfs": CryptoKind.DH_GROUP.value,
}
FIELD_NAMES = {
    "ike_version": _("IKE version"),
    "ike_encryption": _("IKE encryption"),
    "ike_integrity": _("IKE integrity"),
    "ike_dh": _("IKE Diffie-Hellman group"),
    "esp_encryption": _("ESP encryption"),
    "esp_integrity": _("ESP integrity"),
    "esp_pfs": _("ESP perfect forward secrecy"),
}
# The values a rule of each kind may name (the PFS list is the groups plus "none").
KIND_CHOICES: dict[str, Sequence[tuple[str, StrOrPromise]]] = {
    CryptoKind.ENCRYPTION.value: IkeEncryption.choices,
    CryptoKind.INTEGRITY.value: Integrity.choices,
    CryptoKind.DH_GROUP.value: PfsGroup.choices,
    CryptoKind.IKE_VERSION.value: IkeVersion.choices,
}


@dataclass(frozen=True)
class Finding:
    """A policy field whose value the operator deprecated or forbade, and what to tell the
    tenant about it."""

    field: str
    value: str
    status: str
    message: str


def is_legacy(kind: str, value: str) -> bool:
    return (kind == CryptoKind.ENCRYPTION and value in LEGACY_ENCRYPTION) or (
        kind == CryptoKind.DH_GROUP and value in LEGACY_DH
    )


def status_of(kind: str, value: str, rules: Rules, *, allow_legacy: bool) -> str:
    """The operator's verdict on one value (see the comment above for the defaults)."""
    rule = rules.get((kind, value))
    if rule is not None:
        return rule[0]
    if is_legacy(kind, value) and not allow_legacy:
        return CryptoStatus.FORBIDDEN.value
    return CryptoStatus.ALLOWED.value


def value_label(kind: str, value: str) -> str:
    return str(dict(KIND_CHOICES[kind]).get(value, value))


def policy_findings(
    values: Mapping[str, str], rules: Rules, *, allow_legacy: bool
) -> list[Finding]:
    """The policy fields of ``values`` (field name -> value) that the operator deprecated or
    forbade, in field order. ESP integrity is not looked at with GCM (it is not used)."""
    findings: list[Finding] = []
    for field, kind in FIELD_KINDS.items():
        value = values.get(field) or ""
        if not value or (field == "esp_integrity" and values.get("esp_encryption") in AEAD):
            continue
        status = status_of(kind, value, rules, allow_legacy=allow_legacy)
        if status == CryptoStatus.ALLOWED:
            continue
        note = rules.get((kind, value), ("", ""))[1].strip()
        findings.append(
            Finding(field, value, status, _finding_message(field, kind, value, status, note, rules))
        )
    return findings


def policy_choices(
    field: str, choices: Choices, rules: Rules, *, allow_legacy: bool, keep: str = ""
) -> Choices:
    """A policy field's choices for a tenant's form: forbidden values left out (but ``keep``,
    the value a gateway already has, so that its refusal is said next to the field rather than
    the field silently showing another value), deprecated and kept forbidden ones marked."""
    kind = FIELD_KINDS[field]
    shown: Choices = []
    for value, label in choices:
        status = status_of(kind, value, rules, allow_legacy=allow_legacy)
        if status == CryptoStatus.FORBIDDEN:
            if value != keep:
                continue
            label = gettext("%(label)s (not allowed)") % {"label": label}
        elif status == CryptoStatus.DEPRECATED:
            label = gettext("%(label)s (deprecated)") % {"label": label}
        shown.append((value, label))
    return shown


def _finding_message(
    field: str, kind: str, value: str, status: str, note: str, rules: Rules
) -> str:
    if status == CryptoStatus.FORBIDDEN and (kind, value) not in rules:
        instead = "AES" if kind == CryptoKind.ENCRYPTION else "group 14 (MODP 2048) or stronger"
        return _legacy_message(value, instead)  # the ALLOW_LEGACY_CRYPTO default, as before
    names = {"value": value_label(kind, value), "setting": FIELD_NAMES[field]}
    if status == CryptoStatus.FORBIDDEN:
        message = (
            gettext(
                "%(value)s is not allowed for %(setting)s by this portal's crypto policy; "
                "choose another %(setting)s."
            )
            % names
        )
    else:
        message = (
            gettext(
                "%(value)s for %(setting)s is deprecated by this portal's crypto policy and may "
                "be refused later; consider another %(setting)s."
            )
            % names
        )
    return f"{message} {note}" if note else message


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
