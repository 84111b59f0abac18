"""The rule of IKE identity values (vpn.rules.identity), shared by the form, admin and API."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from vpn import rules
from vpn.choices import IdentityType
from vpn.strongswan import render


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("ip", "", ""),
        ("ip", " 10.0.0.1 ", "10.0.0.1"),
        ("ip", "2001:DB8::1", "2001:db8::1"),
        ("fqdn", "sun.strongswan.org", "sun.strongswan.org"),
        ("fqdn", "@sun.strongswan.org", "sun.strongswan.org"),
        ("fqdn", "sun.strongswan.org.", "sun.strongswan.org"),
        ("fqdn", "gw1", "gw1"),
        ("email", "carol@strongswan.org", "carol@strongswan.org"),
        ("keyid", "site-7:a/b+c=d", "site-7:a/b+c=d"),
    ],
)
def test_it_accepts_and_normalises_valid_identities(kind, value, stored):
    assert rules.identity(kind, value) == stored


def _message(kind: str, value: str) -> str:
    with pytest.raises(ValidationError) as caught:
        rules.identity(kind, value)
    return " ".join(caught.value.messages)


def test_it_requires_a_value_for_every_type_but_ip():
    assert "Enter the identity" in _message("fqdn", "  ")


def test_it_says_which_type_a_mismatched_value_reads_as():
    assert "Choose Domain name (FQDN)" in _message("ip", "sun.strongswan.org")
    assert "Choose IP address" in _message("fqdn", "192.0.2.1")
    assert "Choose Email address" in _message("fqdn", "carol@strongswan.org")


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("fqdn", "sun strongswan.org"),
        ("fqdn", "sun.strongswan.org\nid = x"),
        ("fqdn", '"sun"'),
        ("fqdn", "a,b.org"),
        ("fqdn", "-bad.org"),
        ("email", "carol"),
        ("email", "car ol@strongswan.org"),
        ("email", "carol@strong,swan.org"),
        ("email", "$(reboot)@strongswan.org"),
        ("keyid", "two words"),
        ("keyid", 'quo"te'),
        ("keyid", "a#comment"),
        ("keyid", "brace{"),
        ("keyid", "new\nline"),
    ],
)
def test_it_refuses_what_could_inject_into_a_configuration(kind, value):
    with pytest.raises(ValidationError):
        rules.identity(kind, value)


def test_it_refuses_an_identity_longer_than_the_field():
    assert "At most 255" in _message("keyid", "k" * 256)


@settings(max_examples=300, deadline=None, database=None)
@given(
    kind=st.sampled_from(IdentityType.values),
    value=st.one_of(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
        st.text(alphabet="ab1.-_@:+=/$`'\" #,;{}\\\n\t", max_size=30),
    ),
)
def test_it_lets_nothing_through_that_a_configuration_reads_as_syntax(kind, value):
    try:
        stored = rules.identity(kind, value)
    except ValidationError:
        return
    written = render.identity(kind, stored) if stored else ""
    assert not set(written) & set(" \t\r\n\"'#,;{}\\$`"), written
    assert written.isascii()
