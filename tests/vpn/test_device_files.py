"""Every device's configuration file (vpn.device_configs.DEVICES).

Golden files pin each device's output for a set of policies: tests/vpn/golden/<device>_<policy>
with the device's file suffix, or `.refused` holding the sentence a device answers with instead.
After a deliberate change, regenerate them with

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/vpn/test_device_files.py

and review the diff against the vendor guide named in each template and vendor module.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import replace
from pathlib import Path

import pytest

from tests.vpn.specs import make_spec
from vpn import policies
from vpn.choices import DhGroup, IdentityType, IkeEncryption, IkeVersion, Integrity, PfsGroup
from vpn.device_configs import DEVICES, About, DeviceRefused, render_device_config
from vpn.device_configs.common import FIELD_LABELS
from vpn.strongswan.spec import ConnSpec

GOLDEN = Path(__file__).parent / "golden"
ABOUT = About.of("prod", "branch-office")
# One network behind the device and a key every device takes: the demo's shape.
BASE = make_spec(remote_cidrs=("192.168.10.0/24",), psk="Correct-Horse-Battery-42")
POLICIES: dict[str, ConnSpec] = {
    "default": BASE,
    "gcm_group20": replace(
        BASE,
        ike_encryption="aes256gcm16",
        ike_integrity="sha384",
        ike_dh="ecp384",
        esp_encryption="aes256gcm16",
        esp_integrity="",
        esp_pfs="ecp384",
        force_encap=True,
    ),
    "ikev1_legacy": replace(
        BASE,
        connection_id=3,
        ike_version="ikev1",
        ike_encryption="3des",
        ike_integrity="sha1",
        ike_dh="modp1024",
        esp_encryption="aes128",
        esp_integrity="sha1",
        esp_pfs="none",
        dpd_enabled=False,
    ),
    "split": replace(
        BASE,
        connection_id=12,
        remote_cidrs=("192.168.10.0/24", "192.168.20.0/24"),
        split=True,
        ike_lifetime=28800,
        esp_lifetime=1200,
    ),
    "fqdn_identities": replace(
        BASE,
        connection_id=21,
        local_id_type="fqdn",
        local_id="vpn.cloud.example",
        remote_id_type="fqdn",
        remote_id="branch.example.com",
    ),
}
# The model fields a refusal may name (the customer gateway form's settings).
FIELDS = set(FIELD_LABELS)


def _render(spec: ConnSpec, key: str) -> str:
    try:
        return render_device_config(spec, kind=key, about=ABOUT)
    except DeviceRefused as refusal:
        return f"REFUSED ({refusal.field}): {refusal}\n"


@pytest.mark.parametrize("policy", sorted(POLICIES))
@pytest.mark.parametrize("key", sorted(DEVICES))
def test_it_matches_the_golden_file(key: str, policy: str) -> None:
    rendered = _render(POLICIES[policy], key)
    suffix = "refused" if rendered.startswith("REFUSED") else DEVICES[key].suffix
    path = GOLDEN / f"{key}_{policy}.{suffix}"
    if os.environ.get("UPDATE_GOLDEN"):
        for old in (f"{key}_{policy}.refused", f"{key}_{policy}.{DEVICES[key].suffix}"):
            (GOLDEN / old).unlink(missing_ok=True)
        path.write_text(rendered)
    assert path.exists(), f"{path.name} missing: the device's answer changed kind"
    assert rendered == path.read_text()


@pytest.mark.parametrize("key", sorted(DEVICES))
def test_it_renders_the_default_policy_on_every_device(key: str) -> None:
    assert render_device_config(BASE, kind=key)


def _form_policies() -> list[ConnSpec]:
    """Every IKE version x IKE cipher x ESP cipher x split x passive the model accepts, with
    the other choices (integrity, groups, identity types) cycled through all their values, so
    each value meets every device many times. Legacy algorithms included (an operator may
    allow them)."""
    specs = []
    cycle = itertools.count()
    for version, ike_enc, esp_enc, split, passive in itertools.product(
        IkeVersion.values, IkeEncryption.values, IkeEncryption.values, (False, True), (False, True)
    ):
        n = next(cycle)
        spec = replace(
            make_spec(),
            ike_version=version,
            ike_encryption=ike_enc,
            ike_integrity=Integrity.values[n % 4],
            ike_dh=DhGroup.values[n % 8],
            esp_encryption=esp_enc,
            esp_integrity="" if esp_enc in policies.AEAD else Integrity.values[(n // 4) % 4],
            esp_pfs=PfsGroup.values[(n // 8) % 9],
            split=split,
            passive=passive,
            force_encap=bool(n % 2),
            dpd_enabled=bool(n % 3),
            remote_cidrs=("192.168.10.0/24", "192.168.20.0/24")[: 1 + n % 2],
            remote_id_type=IdentityType.values[n % 4],
            remote_id=""
            if n % 4 == 0
            else ("site.example.com", "ops@example.com", "site-7")[n % 4 - 1],
            local_id_type=IdentityType.values[(n // 4) % 4],
            local_id=""
            if (n // 4) % 4 == 0
            else ("vpn.example.net", "vpn@example.net", "cloud")[(n // 4) % 4 - 1],
            psk=("Correct-Horse-Battery-42", "with space and ?", "0xdeadbeef$")[n % 3],
        )
        if split and version == IkeVersion.IKEV1:
            continue  # the model refuses it (customergateway_split_needs_ikev2)
        errors = policies.validate_policy(
            ike_version=version,
            ike_encryption=ike_enc,
            ike_integrity=spec.ike_integrity,
            ike_dh=spec.ike_dh,
            esp_encryption=esp_enc,
            esp_integrity=spec.esp_integrity,
            esp_pfs=spec.esp_pfs,
            allow_legacy=True,
        )
        if not errors:
            specs.append(spec)
    return specs


@pytest.mark.parametrize("key", sorted(DEVICES))
def test_it_renders_or_refuses_every_policy_the_form_accepts(key: str) -> None:
    rendered = refused = 0
    for spec in _form_policies():
        try:
            text = render_device_config(spec, kind=key)
        except DeviceRefused as refusal:
            assert refusal.field in FIELDS, refusal.field
            assert FIELD_LABELS[refusal.field] in str(refusal), str(refusal)
            assert (
                str(refusal).startswith(DEVICES[key].vendor.split()[0])
                or str(refusal).split()[0] in DEVICES[key].label
            ), str(refusal)
            refused += 1
            continue
        assert spec.gateway_ip in text and spec.peer_ip in text
        assert all(cidr in text for cidr in spec.remote_cidrs + spec.local_cidrs)
        rendered += 1
    assert rendered > 0, f"{key} renders nothing the form accepts"


# The demo's connection (AES-256, SHA-256, group 14 for IKE and ESP) in each vendor's words,
# as the vendor guides named in the templates write them.
DEMO_WORDS = {
    "strongswan": ["proposals = aes256-sha256-modp2048", "esp_proposals = aes256-sha256-modp2048"],
    "strongswan-ipsec": ["ike=aes256-sha256-modp2048!", "esp=aes256-sha256-modp2048!"],
    "libreswan": ["ike=aes256-sha2_256;modp2048", "esp=aes256-sha2_256;modp2048"],
    "cisco-ios": [
        "encryption aes-cbc-256",
        "integrity sha256",
        "group 14",
        "esp-aes 256 esp-sha256-hmac",
        "set pfs group14",
    ],
    "cisco-ios-vti": [
        "encryption aes-cbc-256",
        "integrity sha256",
        "group 14",
        "esp-aes 256 esp-sha256-hmac",
        "set pfs group14",
        "tunnel protection ipsec policy ipv4 vpn-7",
    ],
    "cisco-asa": [
        "encryption aes-256",
        "integrity sha256",
        "group 14",
        "protocol esp encryption aes-256",
        "protocol esp integrity sha-256",
        "set pfs group14",
    ],
    "juniper-srx": [
        "encryption-algorithm aes-256-cbc",
        "authentication-algorithm sha-256",
        "dh-group group14",
        "authentication-algorithm hmac-sha-256-128",
        "perfect-forward-secrecy keys group14",
    ],
    "fortigate": ["set proposal aes256-sha256", "set dhgrp 14", "set pfs enable"],
    "paloalto": [
        "encryption aes-256-cbc",
        "hash sha256",
        "dh-group group14",
        "esp authentication sha256",
    ],
    "pfsense": ["Algorithm .................... AES", "256 bits", "SHA256", "14 (2048 bit)"],
    "opnsense": ["Proposals .................... aes256-sha256-modp2048"],
    "mikrotik": [
        "enc-algorithm=aes-256 hash-algorithm=sha256",
        "dh-group=modp2048",
        "enc-algorithms=aes-256-cbc auth-algorithms=sha256 pfs-group=modp2048",
    ],
    "vyos": ["encryption aes256", "hash sha256", "dh-group 14", "pfs dh-group14"],
}


def test_it_knows_the_demo_words_of_every_device() -> None:
    assert set(DEMO_WORDS) == set(DEVICES)


@pytest.mark.parametrize("key", sorted(DEVICES))
def test_it_holds_the_gateway_networks_and_algorithms_in_the_vendors_words(key: str) -> None:
    spec = replace(BASE, psk="demo-psk-change-me")
    text = render_device_config(spec, kind=key, about=ABOUT)
    assert spec.gateway_ip in text
    assert "192.168.10.0" in text and "10.1.0.0" in text
    for words in DEMO_WORDS[key]:
        assert words in text, words


@pytest.mark.parametrize("key", sorted(set(DEVICES) - {"strongswan"}))
def test_it_names_the_portal_connection_in_the_header(key: str) -> None:
    text = render_device_config(BASE, kind=key, about=ABOUT)
    head = text.split("\n\n", 1)[0] + text[: text.index("keep it private")]
    assert "vpn-7" in head and "VPC prod" in head and "customer gateway branch-office" in head


def test_it_says_which_setting_to_change_when_a_device_lacks_a_group() -> None:
    with pytest.raises(DeviceRefused) as refused:
        render_device_config(replace(BASE, ike_dh="curve25519"), kind="cisco-ios")
    assert refused.value.field == "ike_dh"
    assert str(refused.value) == (
        "Cisco IOS XE cannot use Group 31 (Curve25519): choose Group 14 (MODP 2048), "
        "Group 15 (MODP 3072), Group 16 (MODP 4096), Group 19 (ECP 256), Group 20 (ECP 384), "
        "Group 2 (MODP 1024, legacy), Group 5 (MODP 1536, legacy) for IKE DH group."
    )


def test_it_refuses_gcm_under_ikev1_where_the_device_cannot() -> None:
    spec = replace(POLICIES["ikev1_legacy"], esp_encryption="aes256gcm16", esp_integrity="")
    with pytest.raises(DeviceRefused) as refused:
        render_device_config(spec, kind="cisco-asa")
    assert refused.value.field == "esp_encryption"


def test_it_refuses_either_version_where_the_device_speaks_one() -> None:
    with pytest.raises(DeviceRefused) as refused:
        render_device_config(replace(BASE, ike_version="any"), kind="fortigate")
    assert refused.value.field == "ike_version"


def test_it_asks_for_split_connections_where_the_device_has_one_sa_per_pair() -> None:
    spec = replace(BASE, remote_cidrs=("192.168.10.0/24", "192.168.20.0/24"))
    with pytest.raises(DeviceRefused) as refused:
        render_device_config(spec, kind="juniper-srx")
    assert refused.value.field == "split_connections"
    assert "turn on Split connections" in str(refused.value)


def test_it_keeps_a_tenant_name_from_breaking_out_of_the_comment() -> None:
    about = About.of("prod\nset security ike x", "hq")
    text = render_device_config(BASE, kind="juniper-srx", about=about)
    assert "\nset security ike x" not in text


def test_it_writes_a_panos_lifetime_in_a_unit_that_holds_it() -> None:
    text = render_device_config(replace(BASE, ike_lifetime=70020), kind="paloalto")
    assert "lifetime minutes 1167" in text  # over 65535 seconds, the seconds unit's limit


def test_it_refuses_a_panos_lifetime_no_unit_holds() -> None:
    with pytest.raises(DeviceRefused) as refused:
        render_device_config(replace(BASE, esp_lifetime=70001), kind="paloalto")
    assert refused.value.field == "esp_lifetime"


def test_it_names_each_panos_static_route_apart() -> None:
    spec = replace(BASE, local_cidrs=("10.1.0.0/16", "10.2.0.0/16"), passive=True)
    text = render_device_config(spec, kind="paloalto")
    assert "static-route vpn-7-1 interface" in text and "static-route vpn-7-2 interface" in text


def test_it_keeps_the_asa_keepalive_retry_within_its_range() -> None:
    text = render_device_config(replace(BASE, dpd_delay=10, dpd_timeout=300), kind="cisco-asa")
    assert "isakmp keepalive threshold 10 retry 10" in text


def test_it_refuses_ikev1_on_the_ios_multi_sa_vti() -> None:
    with pytest.raises(DeviceRefused) as refused:
        render_device_config(POLICIES["ikev1_legacy"], kind="cisco-ios-vti")
    assert refused.value.field == "ike_version"


def test_it_refuses_sha2_esp_integrity_under_ikev1_on_the_asa() -> None:
    spec = replace(POLICIES["ikev1_legacy"], esp_integrity="sha256")
    with pytest.raises(DeviceRefused) as refused:
        render_device_config(spec, kind="cisco-asa")
    assert refused.value.field == "esp_integrity"
    assert str(refused.value) == (
        "Cisco ASA cannot use SHA-256 for ESP integrity with IKEv1 (its IKEv1 transform sets "
        "hash with SHA-1 only): choose SHA-1 for ESP integrity, or IKEv2 for IKE version."
    )


def test_it_writes_sha2_esp_integrity_in_the_asa_ikev2_proposal() -> None:
    text = render_device_config(replace(BASE, esp_integrity="sha512"), kind="cisco-asa")
    assert " protocol esp integrity sha-512\n" in text


def test_it_gives_an_ios_gcm_proposal_a_prf_and_no_integrity() -> None:
    text = render_device_config(POLICIES["gcm_group20"], kind="cisco-ios")
    proposal = text.split("crypto ikev2 proposal vpn-7\n", 1)[1].split("!", 1)[0]
    assert proposal == " encryption aes-gcm-256\n prf sha384\n group 20\n"


def test_it_leaves_the_panos_local_address_to_the_tenant() -> None:
    text = render_device_config(BASE, kind="paloalto", about=ABOUT)
    assert "local-address interface <EXTERNAL-INTERFACE> ip <LOCAL-ADDRESS>\n" in text
    assert f" ip {BASE.peer_ip}\n" not in text
    assert "<LOCAL-ADDRESS>: that address as set on the interface" in text
