"""Hypothesis strategies for what a hostile tenant types into the customer gateway form."""

from __future__ import annotations

import ipaddress
import string

from hypothesis import strategies as st

from portal.models import Account
from tests.hostile.watch import CANARY
from vpn.choices import DhGroup, IkeEncryption, IkeVersion, Integrity, PfsGroup
from vpn.forms import CustomerGatewayForm
from vpn.strongswan.spec import ConnSpec

FIELDS = tuple(CustomerGatewayForm.base_fields)
CHECKBOXES = ("dpd_enabled", "split_connections", "force_encap")
CHOICES = {
    "ike_encryption": IkeEncryption.values,
    "esp_encryption": IkeEncryption.values,
    "ike_integrity": Integrity.values,
    "esp_integrity": [*Integrity.values, ""],
    "ike_dh": DhGroup.values,
    "esp_pfs": PfsGroup.values,
    "ike_version": IkeVersion.values,
}
# What the form's help text promises a key may be: 8 to 64 printable ASCII characters, no
# quotes, backslash or line breaks.
PSK_ALPHABET = "".join(c for c in string.printable if c.isprintable() and c not in "'\"\\")

TRICKY = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e9",
        "NaN",
        "١٢٣٤",  # Arabic-Indic digits: int() takes them
        "\uff11\uff12\uff10\uff10",  # full-width digits
        "9" * 40,
        "0.0.0.0/0",
        "255.255.255.255",
        "203.0.113.5/32",
        "2001:db8::1",
        "::ffff:203.0.113.5",
        "fe80::1%eth0",
        "203.0.113.5\n10.0.0.0/8",
        "10.0.0.0/8,,,,",
        "\x00",
        "a\x00b",
        "\u202eevil",
        "<script>alert(1)</script>",
        "{{ spec.psk }}",
        "{% debug %}",
        "${charon.plugins}",
        "'; DROP TABLE vpn_customergateway; --",
        "%s%s%s%n",
        "on",
        "0x41414141",
        "0Saaaa",
    ]
)
JUNK = st.one_of(
    TRICKY,
    st.text(max_size=80),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.builds(
        lambda piece, times: piece * times,
        st.text(min_size=1, max_size=4),
        st.integers(1000, 20_000),
    ),
)


def public_ips() -> st.SearchStrategy[str]:
    return st.ip_addresses(v=4).map(str)


def device_ips() -> st.SearchStrategy[str]:
    """Mostly addresses a device may have (a documentation range), some anything at all."""
    return st.one_of(st.ip_addresses(v=4, network="203.0.113.0/24").map(str), public_ips())


def choices_offered() -> dict[str, list[str]]:
    """What the form offers in each choice field (legacy algorithms only when allowed), four
    times over, and then every stored value once: mostly what a browser would send."""
    form = CustomerGatewayForm(account=Account(name="nobody"))
    offered = {}
    for field, stored in CHOICES.items():
        shown = [str(value) for value, _label in form.fields[field].choices if value != ""]
        offered[field] = shown * 4 + list(stored)
    return offered


@st.composite
def cidr_lists(draw: st.DrawFn) -> str:
    """1 to 3 networks (sometimes overlapping, private or not), comma or newline separated."""
    networks = draw(
        st.lists(
            st.builds(
                lambda address, prefix: str(
                    ipaddress.IPv4Network((int(address), prefix), strict=False)
                ),
                st.ip_addresses(v=4),
                st.integers(8, 32),
            ),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    return draw(st.sampled_from([", ", "\n", ","])).join(networks)


def _mostly(usual: st.SearchStrategy[int], other: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    """Hypothesis shrinks towards the first branch: the usual values."""
    return st.one_of(usual, other).map(str)


def likely_values(psk: str = CANARY) -> dict[str, st.SearchStrategy[str]]:
    """Per field, values a tenant might really enter (many valid, some not)."""
    values: dict[str, st.SearchStrategy[str]] = {
        "name": st.text(min_size=1, max_size=70),
        "gateway_ip": device_ips(),
        "cidr_list": cidr_lists(),
        "psk": st.just(psk),
        "ike_lifetime": _mostly(st.integers(1200, 86400), st.integers(0, 10**6)),
        "esp_lifetime": _mostly(st.integers(1200, 86400), st.integers(0, 10**6)),
        "dpd_delay": _mostly(st.integers(1, 30), st.integers(0, 60)),
        "dpd_timeout": _mostly(st.integers(31, 120), st.integers(0, 60)),
    }
    values.update({field: st.sampled_from(offered) for field, offered in choices_offered().items()})
    values.update({field: st.sampled_from(["on", ""]) for field in CHECKBOXES})
    return values


def likely_forms(psk: str = CANARY) -> st.SearchStrategy[dict[str, str]]:
    values = likely_values(psk)
    return st.fixed_dictionaries({field: values[field] for field in FIELDS if field in values})


@st.composite
def hostile_forms(draw: st.DrawFn) -> dict[str, str]:
    """Every field of the form: missing, a likely value, or junk (the key stays the canary)."""
    values = likely_values()
    form: dict[str, str] = {}
    for field in FIELDS:
        choice = draw(st.sampled_from(["likely", "likely", "junk", "missing"]))
        if field == "psk":
            form[field] = CANARY
        elif choice == "junk":
            form[field] = draw(JUNK)
        elif choice == "likely" and field in values:
            form[field] = draw(values[field])
    return form


def psks() -> st.SearchStrategy[str]:
    """Keys the form promises to take."""
    return st.text(alphabet=PSK_ALPHABET, min_size=8, max_size=64)


@st.composite
def conn_specs(draw: st.DrawFn, psk: st.SearchStrategy[str] | None = None) -> ConnSpec:
    """A connection as the control plane sees it, from values the form can accept."""
    version = draw(st.sampled_from(IkeVersion.values))
    ike_encryptions = IkeEncryption.values
    if version == IkeVersion.IKEV1:  # IKEv1 cannot protect its own SA with GCM
        ike_encryptions = [value for value in ike_encryptions if value not in _AEAD]
    esp_encryption = draw(st.sampled_from(IkeEncryption.values))
    remote = draw(st.lists(st.sampled_from(_REMOTE), min_size=1, max_size=4, unique=True))
    return ConnSpec(
        connection_id=draw(st.integers(1, 2**31 - 1)),
        gateway_ip=draw(public_ips()),
        local_cidrs=(draw(st.sampled_from(["10.1.0.0/16", "172.16.0.0/12", "10.0.0.0/8"])),),
        peer_ip=draw(public_ips()),
        remote_cidrs=tuple(remote),
        ike_version=version,
        ike_encryption=draw(st.sampled_from(ike_encryptions)),
        ike_integrity=draw(st.sampled_from(Integrity.values)),
        ike_dh=draw(st.sampled_from(DhGroup.values)),
        esp_encryption=esp_encryption,
        esp_integrity="" if esp_encryption in _AEAD else draw(st.sampled_from(Integrity.values)),
        esp_pfs=draw(st.sampled_from(PfsGroup.values)),
        ike_lifetime=draw(st.integers(1200, 86400)),
        esp_lifetime=draw(st.integers(1200, 86400)),
        dpd_enabled=draw(st.booleans()),
        dpd_delay=draw(st.integers(1, 60)),
        dpd_timeout=draw(st.integers(61, 300)),
        force_encap=draw(st.booleans()),
        split=draw(st.booleans()) and version != IkeVersion.IKEV1,
        passive=draw(st.booleans()),
        psk=draw(psk if psk is not None else psks()),
    )


_AEAD = (IkeEncryption.AES128GCM16.value, IkeEncryption.AES256GCM16.value)
_REMOTE = [f"192.168.{n}.0/24" for n in range(0, 250, 10)] + ["172.31.0.0/16", "100.64.0.0/10"]
