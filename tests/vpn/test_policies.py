from vpn import policies

POLICY = {
    "ike_version": "ikev2",
    "ike_encryption": "aes256",
    "ike_integrity": "sha256",
    "ike_dh": "modp2048",
    "esp_encryption": "aes256",
    "esp_integrity": "sha256",
    "esp_pfs": "modp2048",
}


def errors(allow_legacy=False, **changes):
    return policies.validate_policy(**{**POLICY, **changes}, allow_legacy=allow_legacy)


def values(choices):
    return [value for value, _label in choices]


def test_it_joins_an_ike_proposal():
    assert policies.ike_proposal("aes256", "sha256", "modp2048") == "aes256-sha256-modp2048"


def test_it_gives_aead_ike_proposals_a_prf_from_the_integrity_choice():
    proposal = policies.ike_proposal("aes256gcm16", "sha384", "ecp384")
    assert proposal == "aes256gcm16-prfsha384-ecp384"


def test_it_joins_an_esp_proposal_with_pfs():
    assert policies.esp_proposal("aes128", "sha1", "modp2048") == "aes128-sha1-modp2048"


def test_it_leaves_integrity_out_of_gcm_esp_proposals():
    assert policies.esp_proposal("aes256gcm16", "sha256", "modp2048") == "aes256gcm16-modp2048"


def test_it_leaves_the_group_out_without_pfs():
    assert policies.esp_proposal("aes256", "sha256", "none") == "aes256-sha256"


def test_it_offers_legacy_encryption_only_when_allowed():
    assert "3des" not in values(policies.encryption_choices(allow_legacy=False))
    assert "3des" in values(policies.encryption_choices(allow_legacy=True))


def test_it_offers_legacy_groups_only_when_allowed():
    assert not policies.LEGACY_DH & set(values(policies.dh_choices(allow_legacy=False)))
    assert set(values(policies.dh_choices(allow_legacy=True))) >= policies.LEGACY_DH


def test_it_offers_no_pfs_and_every_modern_group_for_pfs():
    offered = values(policies.pfs_choices(allow_legacy=False))
    assert offered[0] == "none"
    assert set(offered[1:]) == set(values(policies.dh_choices(allow_legacy=False)))


def test_it_accepts_the_default_policy():
    assert errors() == {}


def test_it_refuses_legacy_algorithms_when_not_allowed():
    found = errors(ike_encryption="3des", ike_dh="modp1024", esp_pfs="modp1536")
    assert set(found) == {"ike_encryption", "ike_dh", "esp_pfs"}
    assert "legacy" in found["ike_dh"]


def test_it_accepts_legacy_algorithms_when_allowed():
    assert errors(allow_legacy=True, esp_encryption="3des", ike_dh="modp1024") == {}


def test_it_ignores_integrity_chosen_with_gcm():
    assert errors(esp_encryption="aes256gcm16", esp_integrity="sha512") == {}
    assert errors(esp_encryption="aes256gcm16", esp_integrity="") == {}


def test_it_needs_integrity_as_the_prf_of_gcm_ike():
    assert "ike_integrity" in errors(ike_encryption="aes256gcm16", ike_integrity="")


def test_it_refuses_gcm_for_an_ikev1_ike_sa():
    assert "ike_encryption" in errors(ike_version="ikev1", ike_encryption="aes128gcm16")


def test_it_refuses_unknown_values():
    assert "esp_pfs" in errors(esp_pfs="modp768")


def test_it_catalogues_every_ike_and_esp_proposal_the_forms_can_make():
    pairs = policies.catalogue()
    ike = {ike for ike, _esp in pairs}
    esp = {esp for _ike, esp in pairs}
    assert "3des-sha1-modp1024" in ike
    assert "aes256gcm16-prfsha512-curve25519" in ike
    assert {"aes128gcm16", "aes256-sha256", "3des-sha512-modp1536"} <= esp
    assert len(ike) == 6 * 4 * 8
    assert len(esp) == (4 * 4 + 2) * 9
