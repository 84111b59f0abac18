"""Deciso OPNsense 24.x words (VPN > IPsec > Connections, the swanctl-based forms).

Checked against OPNsense's own source for 24.1 and 24.7 (repository opnsense/core, branches
stable/24.1 and stable/24.7), which the documentation "IPsec: Connections" describes:
- controllers/OPNsense/IPsec/forms/dialogConnection.xml, dialogLocal.xml, dialogRemote.xml,
  dialogChild.xml and dialogPSK.xml for the field labels;
- models/OPNsense/IPsec/Swanctl.xml for their choices (Version "IKEv1+IKEv2" / "IKEv1" /
  "IKEv2", Unique, child Start action None/Trap+start/Route/Start/Trap, Close action
  None/Trap/Start, DPD action Clear/Trap/Start) and the Local/Remote Id mask
  ^[0-9a-zA-Z.-,_:=@%]*$;
- models/OPNsense/IPsec/FieldTypes/IPsecProposalField.php: Proposals and ESP proposals are
  chosen from a fixed list, not typed. `_proposals()` rebuilds that list; a connection whose
  algorithms are not on it is refused, naming the setting to change.
The list's words are strongSwan's, except Curve25519 ("x25519") and AES-GCM in IKE, where the
hash takes the place of the PRF (aes256gcm16-sha384-ecp384: strongSwan derives the PRF from
it, proposal.c check_proposal), which is the same proposal as our router's
aes256gcm16-prfsha384-ecp384. The key goes into swanctl base64-encoded (plugins.inc.d/ipsec.inc:
'0s' . base64_encode(Key)), so it is taken literally; spaces at its ends are refused.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Callable
from typing import Any

from vpn import policies
from vpn.choices import DhGroup, IkeEncryption, IkeVersion, Integrity, PfsGroup
from vpn.device_configs import common, strongswan
from vpn.strongswan import render
from vpn.strongswan.spec import ConnSpec

DEVICE = "OPNsense"
VERSION: dict[str, str] = {
    IkeVersion.IKEV2: "IKEv2",
    IkeVersion.IKEV1: "IKEv1",
    IkeVersion.ANY: "IKEv1+IKEv2",
}
# Our group words where OPNsense's list spells them otherwise.
GROUP = {"curve25519": "x25519"}
CHOICES: dict[str, list[str]] = {
    "ike_encryption": IkeEncryption.values,
    "esp_encryption": IkeEncryption.values,
    "ike_integrity": Integrity.values,
    "esp_integrity": Integrity.values,
    "ike_dh": DhGroup.values,
    "esp_pfs": PfsGroup.values,
}
# Swanctl.xml's mask of a Local/Remote authentication "Id".
_ID_SAFE = frozenset(string.ascii_letters + string.digits + ".-,_:=@%")


def _proposals(phase: int) -> frozenset[str]:
    """IPsecProposalField's options for phase 1 (Proposals) or 2 (ESP proposals), 24.1-24.7."""
    aead_groups = ("modp2048", "ecp521", "x25519", "x448")
    options = {
        "aes256-sha256-modp2048",
        "aes256-sha512-modp2048",
        "aes128-sha256-modp2048",
        "aes128-sha512-modp2048",
        "aes256-sha256-modp4096",
        "aes256-sha512-modp4096",
        "aes256-sha256-ecp521",
        "aes256-sha512-ecp521",
        "aes256-sha1-modp2048",
        "aes128-sha1-modp2048",
        "aes256-sha1-modp4096",
        "aes256-sha1-ecp521",
        "aes256-sha512-modp1024",
        "aes256-sha256",
    }
    for cipher, group in itertools.product(("aes256gcm16", "aes128gcm16"), aead_groups):
        if phase == 1:
            options |= {f"{cipher}-sha256-{group}", f"{cipher}-sha512-{group}"}
        else:
            options.add(f"{cipher}-{group}")
    groups = [
        "modp2048",
        "modp3072",
        "modp4096",
        "modp6144",
        "modp8192",
        "ecp224",
        "ecp256",
        "ecp384",
        "ecp521",
        "ecp224bp",
        "ecp256bp",
        "ecp384bp",
        "ecp512bp",
        "x25519",
        "x448",
    ]
    ciphers = ("aes128", "aes192", "aes256", "aes128gcm16", "aes192gcm16", "aes256gcm16")
    hashes = ("sha256", "sha384", "sha512", "aesxcbc")
    for cipher, hash_, group in itertools.product(ciphers, hashes, groups):
        options.add(f"{cipher}-{hash_}-{group}")
        if "gcm" in cipher and phase != 1:
            options.add(f"{cipher}-{group}")
    return frozenset(options)


PROPOSALS = _proposals(1)
ESP_PROPOSALS = _proposals(2)


def _ike(enc: str, integrity: str, group: str) -> str:
    return f"{enc}-{integrity}-{GROUP.get(group, group)}"


def _esp(enc: str, integrity: str, pfs: str) -> str:
    parts = [enc] if enc in policies.AEAD else [enc, integrity]
    if pfs != policies.PFS_NONE:
        parts.append(GROUP.get(pfs, pfs))
    return "-".join(parts)


def _check(
    spec: ConnSpec,
    options: frozenset[str],
    build: Callable[[str, str, str], str],
    fields: tuple[str, str, str],
) -> str:
    """The proposal, or a refusal naming the first of `fields` whose other values would give
    one on the list (the field changed alone, the other two kept)."""
    values = [getattr(spec, field) for field in fields]
    proposal = build(*values)
    if proposal in options:
        return proposal
    for n, field in enumerate(fields):
        fits = [
            choice
            for choice in CHOICES[field]
            if build(*[choice if i == n else v for i, v in enumerate(values)]) in options
        ]
        if fits:
            raise common.refuse(
                DEVICE,
                f"{common.label(field, values[n])} with this connection's other algorithms "
                f"(its list has no {proposal})",
                field,
                ", ".join(common.label(field, v) for v in fits),
            )
    raise common.refuse(
        DEVICE,
        f"the proposal {proposal} (not on its list)",
        fields[0],
        "another algorithm, e.g. AES-256 with SHA-256 and Group 14 (MODP 2048),",
    )


def context(spec: ConnSpec) -> dict[str, Any]:
    own, peer = common.own_identity(spec), common.peer_identity(spec)
    common.identity_words(DEVICE, spec, strongswan.IDENTITY_PREFIX)
    for field, value in (("remote_id", own[1]), ("local_id", peer[1])):
        if not set(value) <= _ID_SAFE:
            raise common.refuse(
                DEVICE,
                f"the identity {value!r} (its Id field takes letters, digits and . - , _ : = @ %)",
                field,
                "an identity without + or /",
            )
    ike = _check(spec, PROPOSALS, _ike, ("ike_encryption", "ike_integrity", "ike_dh"))
    esp = _check(spec, ESP_PROPOSALS, _esp, ("esp_encryption", "esp_integrity", "esp_pfs"))
    return {
        "version": VERSION[spec.ike_version],
        "ike_proposal": ike,
        "esp_proposal": esp,
        "ike_timers": render.ike_timers(spec),
        "child_timers": render.child_timers(spec),
        "dpd": render.dpd(spec),
        "own_id": strongswan.identity(*own),
        "peer_id": strongswan.identity(*peer),
        "psk": common.psk_untrimmed(DEVICE, spec.psk),
        "tunnels": common.tunnels(spec),
    }
