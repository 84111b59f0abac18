"""list-sas messages as the vici package yields them, captured from charon 5.9.8 in the lab."""

from collections import OrderedDict
from dataclasses import replace
from datetime import UTC, datetime

from tests.vpn.specs import make_spec
from vpn.strongswan.sas import IkeSa, derive_state, parse_ike_sa, parse_sas, reason_from_log

SPEC = make_spec(
    gateway_ip="192.0.2.1", peer_ip="192.0.2.2", remote_cidrs=("10.2.0.0/24", "10.3.0.0/24")
)


def child(name, uniqueid, remote_ts, state=b"INSTALLED", **changes):
    """A CHILD_SA as captured from `list-sas` (the vici package gives bytes values)."""
    body = OrderedDict(
        [
            ("name", name.encode()),
            ("uniqueid", str(uniqueid).encode()),
            ("reqid", b"1"),
            ("state", state),
            ("mode", b"TUNNEL"),
            ("protocol", b"ESP"),
            ("encap", b"yes"),
            ("spi-in", b"1d4fdd49"),
            ("spi-out", b"14cda75b"),
            ("encr-alg", b"AES_CBC"),
            ("encr-keysize", b"256"),
            ("integ-alg", b"HMAC_SHA2_256_128"),
            ("bytes-in", b"252"),
            ("packets-in", b"3"),
            ("use-in", b"0"),
            ("bytes-out", b"252"),
            ("packets-out", b"3"),
            ("use-out", b"0"),
            ("rekey-time", b"3288"),
            ("life-time", b"3950"),
            ("install-time", b"10"),
            ("local-ts", [b"10.1.0.0/16"]),
            ("remote-ts", [ts.encode() for ts in remote_ts]),
        ]
    )
    body.update(changes)
    return body


def ike(uniqueid=2, state=b"ESTABLISHED", children=(), established=b"10"):
    """An IKE SA message as captured from `list-sas`: {name: {...}}."""
    body = OrderedDict(
        [
            ("uniqueid", str(uniqueid).encode()),
            ("version", b"2"),
            ("state", state),
            ("local-host", b"192.0.2.1"),
            ("local-port", b"4500"),
            ("local-id", b"192.0.2.1"),
            ("remote-host", b"192.0.2.2"),
            ("remote-port", b"4500"),
            ("remote-id", b"192.0.2.2"),
            ("initiator", b"yes"),
            ("initiator-spi", b"ac31873d1fdd09dd"),
            ("responder-spi", b"5775613da6af0647"),
            ("nat-remote", b"yes"),
            ("nat-any", b"yes"),
            ("encr-alg", b"AES_CBC"),
            ("encr-keysize", b"256"),
            ("integ-alg", b"HMAC_SHA2_256_128"),
            ("prf-alg", b"PRF_HMAC_SHA2_256"),
            ("dh-group", b"MODP_2048"),
            ("established", established),
            ("rekey-time", b"77814"),
            (
                "child-sas",
                OrderedDict(
                    (f"{c['name'].decode()}-{c['uniqueid'].decode()}", c) for c in children
                ),
            ),
        ]
    )
    return OrderedDict([("vpn-7", body)])


UP = ike(children=[child("vpn-7", 1, ["10.2.0.0/24", "10.3.0.0/24"])])
CONNECTING = OrderedDict(
    [
        (
            "vpn-7",
            OrderedDict(
                [
                    ("uniqueid", b"69"),
                    ("version", b"2"),
                    ("state", b"CONNECTING"),
                    ("local-host", b"192.0.2.1"),
                    ("local-port", b"500"),
                    ("local-id", b"%any"),
                    ("remote-host", b"192.0.2.2"),
                    ("remote-port", b"500"),
                    ("remote-id", b"%any"),
                    ("initiator", b"yes"),
                    ("initiator-spi", b"50c5b97f1e483d6b"),
                    ("responder-spi", b"0000000000000000"),
                    ("tasks-active", [b"IKE_VENDOR", b"IKE_INIT", b"IKE_AUTH", b"CHILD_CREATE"]),
                    ("child-sas", OrderedDict()),
                ]
            ),
        )
    ]
)


def state_of(*messages, spec=SPEC):
    return derive_state(spec, parse_sas(messages))


def test_it_parses_an_established_ike_sa():
    [sa] = parse_sas([UP])
    assert (sa.name, sa.uniqueid, sa.state, sa.established_seconds) == (
        "vpn-7",
        2,
        "ESTABLISHED",
        10,
    )
    assert (sa.local_host, sa.remote_host, sa.version) == ("192.0.2.1", "192.0.2.2", 2)
    assert sa.algorithms == "AES_CBC-256/HMAC_SHA2_256_128/MODP_2048"


def test_it_reads_the_child_name_field_not_the_child_key():
    [sa] = parse_sas([UP])
    [child_sa] = sa.children
    assert (child_sa.name, child_sa.uniqueid, child_sa.state) == ("vpn-7", 1, "INSTALLED")
    assert child_sa.remote_ts == ("10.2.0.0/24", "10.3.0.0/24")
    assert (child_sa.bytes_in, child_sa.packets_out) == (252, 3)


def test_it_parses_a_connecting_sa_without_algorithms():
    sa = parse_ike_sa("vpn-7", CONNECTING["vpn-7"])
    assert (sa.state, sa.established_seconds, sa.algorithms, sa.children) == (
        "CONNECTING",
        None,
        "",
        (),
    )


def test_it_is_connected_with_every_child_installed_on_the_right_networks():
    observed = state_of(UP)
    assert observed.state == "connected"
    assert observed.negotiated == (
        "IKE AES_CBC-256/HMAC_SHA2_256_128/MODP_2048, ESP AES_CBC-256/HMAC_SHA2_256_128"
    )
    now = datetime(2025, 1, 1, 12, 0, 10, tzinfo=UTC)
    assert observed.established_at(now) == datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_it_is_connecting_while_ike_negotiates():
    assert state_of(CONNECTING).state == "connecting"


def test_it_is_connecting_while_a_split_child_is_missing():
    spec = replace(SPEC, split=True)
    observed = state_of(ike(children=[child("vpn-7-1", 1, ["10.2.0.0/24"])]), spec=spec)
    assert observed.state == "connecting"
    assert "vpn-7-2" in observed.reason


def test_it_is_connecting_while_the_child_installs():
    observed = state_of(
        ike(children=[child("vpn-7", 1, ["10.2.0.0/24", "10.3.0.0/24"], b"INSTALLING")])
    )
    assert observed.state == "connecting"


def test_it_stays_connected_while_a_child_rekeys():
    rekeying = child("vpn-7", 1, ["10.2.0.0/24", "10.3.0.0/24"], b"REKEYING")
    assert state_of(ike(children=[rekeying])).state == "connected"


def test_it_reports_an_error_when_the_peer_narrowed_the_networks():
    observed = state_of(ike(children=[child("vpn-7", 1, ["10.2.0.0/25"])]))
    assert observed.state == "error"
    assert "10.2.0.0/25" in observed.reason


def test_it_accepts_local_selectors_wider_than_the_vpc():
    wide = child("vpn-7", 1, ["10.2.0.0/24", "10.3.0.0/24"], **{"local-ts": [b"10.0.0.0/8"]})
    assert state_of(ike(children=[wide])).state == "connected"


def test_it_is_disconnected_without_any_sa():
    observed = state_of()
    assert (observed.state, observed.established_seconds) == ("disconnected", None)


def test_it_says_a_passive_connection_waits_for_the_device():
    assert "Waiting for your device" in state_of(spec=replace(SPEC, passive=True)).reason


def test_it_ignores_sas_of_other_connections():
    other = OrderedDict([("vpn-8", UP["vpn-7"])])
    assert state_of(other).state == "disconnected"


def test_it_is_disconnected_when_the_only_sa_is_being_deleted():
    assert state_of(ike(state=b"DELETING")).state == "disconnected"


def test_it_reads_rekey_overlap_and_sums_counters():
    old = ike(uniqueid=2, state=b"REKEYED", established=b"900")
    new = ike(
        uniqueid=3, established=b"5", children=[child("vpn-7", 4, ["10.2.0.0/24", "10.3.0.0/24"])]
    )
    also = ike(
        uniqueid=4, established=b"9", children=[child("vpn-7", 5, ["10.2.0.0/24", "10.3.0.0/24"])]
    )
    observed = state_of(old, new, also)
    assert (observed.state, observed.established_seconds) == ("connected", 5)
    assert (observed.bytes_in, observed.packets_out) == (504, 6)


def test_it_reads_an_ikev1_split_pair_with_gcm():
    def gcm(name, uniqueid, ts):
        return child(name, uniqueid, [ts], **{"encr-alg": b"AES_GCM_16", "dh-group": b"ECP_256"})

    message = ike(children=[gcm("vpn-7-1", 41, "10.2.0.0/24"), gcm("vpn-7-2", 42, "10.3.0.0/24")])
    for c in message["vpn-7"]["child-sas"].values():
        del c["integ-alg"]
    observed = state_of(message, spec=replace(SPEC, ike_version="ikev1"))
    assert observed.state == "connected"
    assert observed.esp_algorithms == "AES_GCM_16-256/ECP_256"


def test_it_builds_ike_sas_for_the_reconciler():
    assert isinstance(parse_sas([UP, CONNECTING])[1], IkeSa)


# charon log lines captured in the lab (file log and initiate's control-log).
WRONG_KEY_RESPONDER = [
    "12[IKE] tried 1 shared key for '192.0.2.1' - '192.0.2.2', but MAC mismatched",
    "12[ENC] generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
]
WRONG_KEY_IKEV1 = [
    "initiating Main Mode IKE_SA vpn-7[47] to 192.0.2.2",
    "invalid HASH_V1 payload length, decryption failed?",
    "could not decrypt payloads",
    "giving up after 2 retransmits",
    "establishing IKE_SA failed, peer not responding",
]
IKE_PROPOSAL_RESPONDER = [
    "01[CFG] received proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
    "01[CFG] configured proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
    "01[IKE] received proposals unacceptable",
]
NO_CONFIG = [
    "12[IKE] no IKE config found for 192.0.2.1...192.0.2.2, sending NO_PROPOSAL_CHOSEN",
]
TS_RESPONDER = ["01[IKE] traffic selectors 10.1.0.0/16 === 10.5.0.0/24 unacceptable"]
TIMEOUT = [
    "retransmit 2 of request with message ID 0",
    "giving up after 2 retransmits",
    "establishing IKE_SA failed, peer not responding",
]


def test_it_explains_a_wrong_key():
    assert "pre-shared key" in reason_from_log(WRONG_KEY_RESPONDER)


def test_it_explains_an_ikev1_wrong_key_that_looks_like_a_timeout():
    assert "pre-shared key" in reason_from_log(WRONG_KEY_IKEV1)


def test_it_explains_a_rejected_authentication_seen_by_the_initiator():
    assert "pre-shared key" in reason_from_log(["received AUTHENTICATION_FAILED notify error"])


def test_it_explains_an_identity_without_a_key():
    reason = reason_from_log(["no shared key found for '192.0.2.1' - 'fw.example.com'"])
    assert "fw.example.com" in reason


def test_it_explains_a_proposal_mismatch_with_both_proposals():
    reason = reason_from_log(IKE_PROPOSAL_RESPONDER)
    assert "No common algorithms" in reason
    assert "IKE:AES_CBC_128/HMAC_SHA2_256_128" in reason


def test_it_explains_a_proposal_refused_by_the_peer():
    assert "No common algorithms" in reason_from_log(["received NO_PROPOSAL_CHOSEN notify error"])


def test_it_explains_a_missing_config_before_its_no_proposal_notify():
    assert "No connection here matches 192.0.2.1" in reason_from_log(NO_CONFIG)


def test_it_explains_unacceptable_traffic_selectors():
    reason = reason_from_log(TS_RESPONDER)
    assert "networks do not match" in reason
    assert "10.5.0.0/24" in reason


def test_it_explains_an_ikev1_selector_refusal():
    reason = reason_from_log(["received INVALID_ID_INFORMATION error notify"])
    assert "networks do not match" in reason


def test_it_explains_a_silent_peer():
    assert "does not answer" in reason_from_log(TIMEOUT)


def test_it_has_no_reason_for_a_healthy_log():
    healthy = [
        "configured proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
        "authentication of '192.0.2.2' with pre-shared key successful",
        "CHILD_SA vpn-7{1} established with SPIs 1d4fdd49_i 14cda75b_o",
    ]
    assert reason_from_log(healthy) is None


def test_it_reports_a_nat_only_when_charon_detected_one() -> None:
    body = UP["vpn-7"]
    faked = OrderedDict(
        [
            (
                "vpn-7",
                OrderedDict(
                    [*((k, v) for k, v in body.items() if k != "nat-remote"), ("nat-fake", b"yes")]
                ),
            )
        ]
    )
    [detected] = parse_sas([UP])
    [fake] = parse_sas([faked])
    assert (detected.nat, fake.nat) == (True, False)
