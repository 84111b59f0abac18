"""Presets on the customer gateway form: each fills the policy fields and saves, keeps what the
tenant typed elsewhere, and is offered only when the operator's crypto policy allows it."""

import pytest
from django.urls import reverse

from tests.vpn.conftest import make_cgw
from tests.vpn.test_portal_bad_input import GOOD
from vpn.models import CryptoRule, CustomerGateway
from vpn.presets import BY_KEY, PRESETS

CREATE = "vpn:customer-gateway-create"


@pytest.fixture
def legacy(settings):  # type: ignore[no-untyped-def]
    settings.PORTAL = {**settings.PORTAL, "ALLOW_LEGACY_CRYPTO": True}


def _as_post(values) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Preset values as a browser posts them (a false checkbox is left out)."""
    return {k: str(v) for k, v in values.items() if v is not False}


def _offered(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [preset.key for preset in response.context["form"].presets]


@pytest.mark.django_db
@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.key)
def test_it_fills_the_form_with_each_preset(alice_client, legacy, preset) -> None:
    response = alice_client.post(reverse(CREATE), {**GOOD, "preset": preset.key})
    assert response.status_code == 200
    form = response.context["form"]
    for field, value in preset.values.items():
        assert form[field].value() == value, field
    assert not CustomerGateway.objects.exists()  # filled, not saved


@pytest.mark.django_db
@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.key)
def test_it_saves_each_preset(alice_client, alice, legacy, preset) -> None:
    response = alice_client.post(reverse(CREATE), {**GOOD, **_as_post(preset.values)})
    assert response.status_code == 302, response.context["form"].errors
    saved = CustomerGateway.objects.get(account=alice.account)
    for field, value in preset.values.items():
        assert getattr(saved, field) == value, field


@pytest.mark.django_db
def test_it_keeps_what_the_tenant_typed_elsewhere(alice_client) -> None:
    typed = {**GOOD, "name": "typed-name", "cidr_list": "10.99.0.0/16", "dpd_delay": "17"}
    response = alice_client.post(reverse(CREATE), {**typed, "preset": "recommended"})
    form = response.context["form"]
    assert (form["name"].value(), form["cidr_list"].value()) == ("typed-name", "10.99.0.0/16")
    assert str(form["dpd_delay"].value()) == "17"


@pytest.mark.django_db
def test_it_does_not_send_a_typed_key_back_with_a_preset(alice_client) -> None:
    response = alice_client.post(reverse(CREATE), {**GOOD, "preset": "aws"})
    assert GOOD["psk"] not in response.content.decode()
    assert "type it again" in response.content.decode()


@pytest.mark.django_db
def test_it_fills_the_form_from_a_preset_link(alice_client) -> None:
    response = alice_client.get(reverse(CREATE) + "?preset=aws")
    assert response.context["form"]["esp_lifetime"].value() == 3600
    assert response.context["form"]["ike_lifetime"].value() == 28800


@pytest.mark.django_db
def test_it_fills_an_edit_form_without_saving(alice_client, cgw) -> None:
    url = reverse("vpn:customer-gateway-edit", args=[cgw.pk])
    response = alice_client.post(url, {**GOOD, "preset": "recommended"})
    assert response.context["form"]["ike_dh"].value() == "ecp384"
    cgw.refresh_from_db()
    assert cgw.ike_dh == "modp2048"


@pytest.mark.django_db
def test_it_offers_no_legacy_preset_by_default(alice_client) -> None:
    offered = _offered(alice_client.get(reverse(CREATE)))
    assert offered == ["recommended", "aws"]


@pytest.mark.django_db
def test_it_says_why_the_azure_preset_is_not_offered(alice_client) -> None:
    page = alice_client.get(reverse(CREATE)).content.decode()
    assert "Azure&#x27;s default policy needs DH group 2" in page


@pytest.mark.django_db
def test_it_offers_the_legacy_presets_when_the_setting_allows_legacy(alice_client, legacy) -> None:
    assert _offered(alice_client.get(reverse(CREATE))) == [p.key for p in PRESETS]


@pytest.mark.django_db
def test_it_offers_the_legacy_presets_when_a_crypto_rule_allows_group_2(alice_client) -> None:
    CryptoRule.objects.create(kind="dh_group", value="modp1024", status="allowed")
    assert "legacy-ikev1" in _offered(alice_client.get(reverse(CREATE)))


@pytest.mark.django_db
def test_it_withdraws_a_preset_whose_value_the_operator_forbids(alice_client) -> None:
    CryptoRule.objects.create(kind="integrity", value="sha384", status="forbidden")
    assert "recommended" not in _offered(alice_client.get(reverse(CREATE)))


@pytest.mark.django_db
def test_it_refuses_a_preset_that_is_not_offered(alice_client) -> None:
    response = alice_client.post(reverse(CREATE), {**GOOD, "preset": "legacy-ikev1"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_it_renders_the_preset_buttons_with_their_values(alice_client) -> None:
    page = alice_client.get(reverse(CREATE)).content.decode()
    assert 'name="preset" value="recommended"' in page
    assert "data-preset-values=" in page and "aes256gcm16" in page


@pytest.mark.django_db
def test_it_takes_a_preset_on_a_gateway_of_its_own_account_only(charlie_client, alice) -> None:
    other = make_cgw(alice.account)
    url = reverse("vpn:customer-gateway-edit", args=[other.pk])
    assert charlie_client.post(url, {**GOOD, "preset": "aws"}).status_code == 404


def test_it_names_each_preset_once() -> None:
    assert len(BY_KEY) == len(PRESETS)
