"""Authentication failures name the cause the log proves, or both, and the identities.

The lines are charon 5.9.8's, captured in the lab (tests/e2e/test_identities.py): our router
198.51.100.10 with the default identities (its public IPs), a device 203.0.113.10 configured
from strongSwan's published example, as sun.strongswan.org expecting moon.strongswan.org.
"""

from dataclasses import replace

import pytest

from tests.vpn.specs import make_spec
from vpn.strongswan.sas import is_failure_log, reason_from_log

SPEC = replace(make_spec(), gateway_ip="198.51.100.10", peer_ip="203.0.113.10")

# We responded: no connection for the identities the device sent (the key is never tried).
WE_FOUND_NO_CONFIG = [
    "11[IKE] <2> 203.0.113.10 is initiating an IKE_SA",
    "13[CFG] <2> looking for peer configs matching "
    "198.51.100.10[moon.strongswan.org]...203.0.113.10[sun.strongswan.org]",
    "13[CFG] <2> no matching peer config found",
]
# We initiated: the device found no config for our identities and refused us.
THE_DEVICE_REFUSED = [
    "12[IKE] <vpn-1|3> initiating IKE_SA vpn-1[3] to 203.0.113.10",
    "15[IKE] <vpn-1|3> authentication of '198.51.100.10' (myself) with pre-shared key",
    "15[IKE] <vpn-1|3> establishing CHILD_SA vpn-1{1}",
    "14[IKE] <vpn-1|3> received AUTHENTICATION_FAILED notify error",
]


def test_it_says_the_identities_differ_when_we_found_no_config_for_the_device():
    reason = reason_from_log(WE_FOUND_NO_CONFIG, SPEC)
    assert reason is not None
    assert "identities do not match (not the key)" in reason


def test_it_names_the_identities_the_device_sent_and_asked_for():
    reason = reason_from_log(WE_FOUND_NO_CONFIG, SPEC) or ""
    assert "identified itself as sun.strongswan.org and asked for moon.strongswan.org" in reason


def test_it_names_the_identities_this_connection_expects():
    reason = reason_from_log(WE_FOUND_NO_CONFIG, SPEC) or ""
    assert "This connection expects 203.0.113.10 and is 198.51.100.10." in reason


def test_it_names_both_causes_when_the_device_refused_us():
    reason = reason_from_log(THE_DEVICE_REFUSED, SPEC) or ""
    assert "pre-shared key differs" in reason
    assert "does not accept the identities" in reason


def test_it_says_which_identities_we_sent_when_the_device_refused_us():
    spec = replace(SPEC, local_id_type="fqdn", local_id="moon.strongswan.org")
    reason = reason_from_log(THE_DEVICE_REFUSED, spec) or ""
    assert "we sent moon.strongswan.org as ours and asked for 203.0.113.10" in reason


def test_it_blames_the_key_when_our_own_check_of_it_failed():
    lines = ["12[IKE] tried 1 shared key for '198.51.100.10' - '203.0.113.10', but MAC mismatched"]
    reason = reason_from_log(lines, SPEC) or ""
    assert "pre-shared key on your device does not match" in reason
    assert "identities matched" in reason


def test_it_prefers_the_proof_of_an_identity_mismatch_to_the_refusal():
    reason = reason_from_log(THE_DEVICE_REFUSED + WE_FOUND_NO_CONFIG, SPEC) or ""
    assert "identities do not match (not the key)" in reason


def test_it_shortens_a_long_identity():
    spec = replace(SPEC, remote_id_type="keyid", remote_id="k" * 200)
    reason = reason_from_log(WE_FOUND_NO_CONFIG, spec) or ""
    assert len(reason) <= 255


@pytest.mark.parametrize(
    "line", [WE_FOUND_NO_CONFIG[2], THE_DEVICE_REFUSED[3]], ids=["no-config", "refused"]
)
def test_it_treats_each_authentication_failure_line_as_a_failure(line):
    assert is_failure_log(line)
