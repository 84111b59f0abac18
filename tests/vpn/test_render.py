from dataclasses import replace

from tests.vpn.specs import make_spec
from vpn.strongswan import render

SPEC = make_spec()


def conn(**changes):
    return render.render_conn(replace(SPEC, **changes))["vpn-7"]


def strings_only(value):
    if isinstance(value, dict):
        return all(isinstance(k, str) and strings_only(v) for k, v in value.items())
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    return isinstance(value, str)


def test_it_names_conn_and_key_after_the_connection_id():
    assert render.conn_name(7) == "vpn-7"
    assert render.shared_id(7) == "psk-vpn-7"


def test_it_maps_conn_child_and_sa_names_back_to_the_id():
    assert render.connection_id_from_name("vpn-7") == 7
    assert render.connection_id_from_name(b"vpn-7-2") == 7
    assert render.connection_id_from_shared_id("psk-vpn-7") == 7


def test_it_does_not_claim_other_names():
    for name in ("site-a", "vpn-", "vpn-x", "(unnamed)", "xvpn-7", "psk-vpn-7"):
        assert render.connection_id_from_name(name) is None


def test_it_uses_one_child_for_all_networks_by_default():
    assert render.child_names(SPEC) == ["vpn-7"]
    child = conn()["children"]["vpn-7"]
    assert child["remote_ts"] == ["192.168.10.0/24", "192.168.20.0/24"]


def test_it_splits_one_child_per_remote_cidr():
    children = conn(split=True)["children"]
    assert list(children) == ["vpn-7-1", "vpn-7-2"]
    assert children["vpn-7-2"]["remote_ts"] == ["192.168.20.0/24"]


def test_it_always_splits_ikev1_which_carries_one_selector_pair():
    assert render.child_names(replace(SPEC, ike_version="ikev1")) == ["vpn-7-1", "vpn-7-2"]


def test_it_splits_any_version_too_since_the_peer_may_speak_ikev1():
    assert render.child_names(replace(SPEC, ike_version="any")) == ["vpn-7-1", "vpn-7-2"]


def test_it_keeps_the_plain_child_name_when_split_has_one_cidr():
    assert render.child_names(replace(SPEC, split=True, remote_cidrs=("10.9.0.0/16",))) == ["vpn-7"]


def test_it_renders_addresses_identities_and_proposals():
    rendered = conn()
    assert rendered["local_addrs"] == ["198.51.100.10"]
    assert rendered["remote_addrs"] == ["203.0.113.20"]
    assert rendered["local"] == {"auth": "psk", "id": "198.51.100.10"}
    assert rendered["remote"] == {"auth": "psk", "id": "203.0.113.20"}
    assert rendered["proposals"] == ["aes256-sha256-modp2048"]
    assert rendered["children"]["vpn-7"]["esp_proposals"] == ["aes256-sha256-modp2048"]


def test_it_maps_ike_versions_to_swanctl_numbers():
    assert [conn(ike_version=v)["version"] for v in ("ikev2", "ikev1", "any")] == ["2", "1", "0"]


def test_it_rekeys_ikev2_at_the_exact_lifetime():
    rendered = conn(ike_lifetime=28799)
    assert (rendered["rekey_time"], rendered["reauth_time"]) == ("28799s", "0s")


def test_it_reauthenticates_ikev1_instead_of_rekeying():
    rendered = conn(ike_version="ikev1", ike_lifetime=28800)
    assert (rendered["rekey_time"], rendered["reauth_time"]) == ("0s", "28800s")


def test_it_rekeys_children_at_the_exact_esp_lifetime():
    assert conn(esp_lifetime=3601)["children"]["vpn-7"]["rekey_time"] == "3601s"


def test_it_turns_dpd_off_with_a_zero_delay():
    rendered = conn(dpd_enabled=False)
    assert (rendered["dpd_delay"], rendered["dpd_timeout"]) == ("0s", "0s")


def test_it_sends_dpd_timeout_to_ikev1_only():
    assert conn()["dpd_timeout"] == "0s"
    assert conn(ike_version="ikev1")["dpd_timeout"] == "30s"


def test_it_forces_udp_encapsulation_on_request():
    assert (conn()["encap"], conn(force_encap=True)["encap"]) == ("no", "yes")


def test_it_starts_and_restarts_an_active_connection():
    child = conn()["children"]["vpn-7"]
    assert (child["start_action"], child["dpd_action"], child["close_action"]) == (
        "start",
        "restart",
        "start",
    )


def test_it_never_initiates_a_passive_connection():
    child = conn(passive=True)["children"]["vpn-7"]
    assert (child["start_action"], child["dpd_action"], child["close_action"]) == (
        "none",
        "clear",
        "none",
    )


def test_it_renders_only_strings_and_lists_of_strings():
    assert strings_only(render.render_conn(replace(SPEC, split=True, ike_version="ikev1")))


def test_it_gives_the_key_to_the_peer_identity_only():
    assert render.render_shared(SPEC) == {
        "id": "psk-vpn-7",
        "type": "IKE",
        "data": "correct horse battery staple",
        "owners": ["203.0.113.20"],
    }


def test_it_fingerprints_the_same_spec_the_same_way():
    assert render.spec_fingerprint(SPEC) == render.spec_fingerprint(replace(SPEC))


def test_it_changes_the_fingerprint_with_the_key():
    assert render.spec_fingerprint(SPEC) != render.spec_fingerprint(replace(SPEC, psk="other"))


def test_it_changes_the_fingerprint_with_the_passive_flag():
    assert render.spec_fingerprint(SPEC) != render.spec_fingerprint(replace(SPEC, passive=True))


def test_it_ignores_settings_charon_would_not_use():
    assert render.spec_fingerprint(SPEC) == render.spec_fingerprint(replace(SPEC, dpd_timeout=99))


def test_it_keeps_the_key_out_of_the_spec_repr():
    assert SPEC.psk not in repr(SPEC)
