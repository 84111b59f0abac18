"""The operator's crypto policy: deprecated values warn the tenant, forbidden ones are refused for
new and edited customer gateways (portal and admin alike), existing gateways that use them keep
working and are listed for the operator; no rule means today's behaviour."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.vpn.conftest import make_cgw
from tests.vpn.test_portal_bad_input import GOOD
from vpn import policies
from vpn.actions import create_connection
from vpn.choices import CryptoStatus
from vpn.models import CryptoRule, CustomerGateway
from vpn.models.policy import crypto_rules

CREATE = "vpn:customer-gateway-create"
SHA1_IN_IKE = {**GOOD, "ike_integrity": "sha1"}


@pytest.fixture
def sha1(db):  # type: ignore[no-untyped-def]
    """A rule on SHA-1 (deprecated; a test makes it forbidden when it needs to)."""
    return CryptoRule.objects.create(
        kind="integrity", value="sha1", status="deprecated", note="Refused from 1 July."
    )


def _forbid(rule: CryptoRule) -> None:
    rule.status = CryptoStatus.FORBIDDEN
    rule.save()


@pytest.fixture
def operator_client(client, django_user_model):  # type: ignore[no-untyped-def]
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    return client


def _admin_post(values: dict[str, str], account_pk: int) -> dict[str, str]:
    data = {**values, "account": str(account_pk), "new_psk": values["psk"]}
    del data["psk"]
    return data


# Rules and defaults (pure) -----------------------------------------------------------------


def test_it_allows_a_value_without_a_rule() -> None:
    assert policies.status_of("integrity", "sha1", {}, allow_legacy=False) == "allowed"


def test_it_forbids_a_legacy_value_without_a_rule_unless_the_setting_allows_it() -> None:
    assert policies.status_of("dh_group", "modp1024", {}, allow_legacy=False) == "forbidden"
    assert policies.status_of("dh_group", "modp1024", {}, allow_legacy=True) == "allowed"


def test_it_lets_a_rule_override_the_legacy_setting() -> None:
    rules = {("encryption", "3des"): ("allowed", "")}
    assert policies.status_of("encryption", "3des", rules, allow_legacy=False) == "allowed"


def test_it_judges_esp_integrity_not_at_all_with_gcm() -> None:
    values = {"esp_encryption": "aes256gcm16", "esp_integrity": "sha1"}
    rules = {("integrity", "sha1"): ("forbidden", "")}
    assert policies.policy_findings(values, rules, allow_legacy=False) == []


# Deprecated: a warning, never a refusal -----------------------------------------------------


@pytest.mark.django_db
def test_it_saves_a_deprecated_value(alice_client, alice, sha1) -> None:
    response = alice_client.post(reverse(CREATE), SHA1_IN_IKE)
    assert response.status_code == 302
    assert CustomerGateway.objects.get(account=alice.account).ike_integrity == "sha1"


@pytest.mark.django_db
def test_it_warns_while_a_deprecated_value_is_chosen(alice_client, sha1) -> None:
    params = {field: GOOD[field] for field in policies.FIELD_KINDS} | {"ike_integrity": "sha1"}
    response = alice_client.get(reverse("vpn:proposal-preview"), params)
    page = response.content.decode()
    assert "SHA-1 for IKE integrity is deprecated" in page and "Refused from 1 July." in page


@pytest.mark.django_db
def test_it_marks_deprecated_choices(alice_client, sha1) -> None:
    page = alice_client.get(reverse(CREATE)).content.decode()
    assert "SHA-1 (deprecated)" in page


@pytest.mark.django_db
def test_it_warns_on_the_edit_page_of_a_gateway_using_a_deprecated_value(
    alice_client, alice, sha1
) -> None:
    cgw = make_cgw(alice.account, ike_integrity="sha1")
    page = alice_client.get(reverse("vpn:customer-gateway-edit", args=[cgw.pk])).content.decode()
    assert "crypto-policy-notice" in page and "SHA-1 for IKE integrity is deprecated" in page


@pytest.mark.django_db
def test_it_flags_a_deprecated_value_in_the_list(alice_client, alice, sha1) -> None:
    make_cgw(alice.account, ike_integrity="sha1")
    page = alice_client.get(reverse("vpn:customer-gateway-list")).content.decode()
    assert "Deprecated: sha1" in page


# Forbidden: refused for new and edited gateways --------------------------------------------


@pytest.mark.django_db
def test_it_does_not_offer_a_forbidden_value(alice_client, sha1) -> None:
    _forbid(sha1)
    form = alice_client.get(reverse(CREATE)).context["form"]
    assert "sha1" not in [value for value, _label in form.fields["ike_integrity"].choices]


@pytest.mark.django_db
def test_it_refuses_a_forbidden_value_in_the_model(alice, sha1) -> None:
    _forbid(sha1)
    cgw = CustomerGateway(account=alice.account, name="x", ike_integrity="sha1")
    with pytest.raises(ValidationError, match="SHA-1 is not allowed for IKE integrity"):
        cgw.clean()


@pytest.mark.django_db
def test_it_refuses_an_edit_that_keeps_a_forbidden_value(alice_client, alice, sha1) -> None:
    cgw = make_cgw(alice.account, ike_integrity="sha1")
    _forbid(sha1)
    url = reverse("vpn:customer-gateway-edit", args=[cgw.pk])
    response = alice_client.post(url, {**SHA1_IN_IKE, "psk": "", "name": "renamed"})
    assert response.status_code == 422
    assert response.context["form"].errors["ike_integrity"] == [
        "SHA-1 is not allowed for IKE integrity by this portal's crypto policy; choose "
        "another IKE integrity. Refused from 1 July."
    ]
    cgw.refresh_from_db()
    assert cgw.name == "hq"


@pytest.mark.django_db
def test_it_refuses_a_forbidden_value_in_the_admin(operator_client, alice, sha1) -> None:
    _forbid(sha1)
    response = operator_client.post(
        reverse("admin:vpn_customergateway_add"), _admin_post(SHA1_IN_IKE, alice.account.pk)
    )
    assert response.status_code == 200  # the form again, with the error
    assert "SHA-1 is not allowed for IKE integrity" in response.content.decode()
    assert not CustomerGateway.objects.exists()


@pytest.mark.django_db
def test_it_keeps_a_gateway_that_uses_a_forbidden_value_working(alice, gateway, sha1) -> None:
    cgw = make_cgw(alice.account, ike_integrity="sha1")
    _forbid(sha1)
    added = create_connection(gateway, cgw, passive=False)  # no edit: no refusal
    assert added.customer_gateway.ike_integrity == "sha1"


@pytest.mark.django_db
def test_it_tells_the_tenant_an_existing_gateway_uses_a_forbidden_value(
    alice_client, alice, sha1
) -> None:
    cgw = make_cgw(alice.account, ike_integrity="sha1")
    _forbid(sha1)
    page = alice_client.get(reverse("vpn:customer-gateway-edit", args=[cgw.pk])).content.decode()
    assert "the next save needs another choice" in page
    assert "SHA-1 (not allowed)" in page  # still shown as its value, not silently replaced


@pytest.mark.django_db
def test_it_lists_existing_gateways_with_a_forbidden_value_for_the_operator(
    operator_client, alice, sha1
) -> None:
    old = make_cgw(alice.account, name="old", ike_integrity="sha1")
    make_cgw(alice.account, name="new", ip="203.0.113.11")
    _forbid(sha1)
    url = reverse("admin:vpn_customergateway_changelist")
    response = operator_client.get(url, {"crypto_policy": "forbidden"})
    assert [obj.pk for obj in response.context["cl"].result_list] == [old.pk]


@pytest.mark.django_db
def test_it_counts_the_gateways_using_a_rules_value_in_the_admin(
    operator_client, alice, sha1
) -> None:
    make_cgw(alice.account, ike_integrity="sha1")
    page = operator_client.get(reverse("admin:vpn_cryptorule_changelist")).content.decode()
    assert "?crypto_policy=deprecated" in page


@pytest.mark.django_db
def test_it_refuses_a_rule_for_a_value_of_another_kind(operator_client) -> None:
    response = operator_client.post(
        reverse("admin:vpn_cryptorule_add"),
        {"kind": "integrity", "value": "modp1024", "status": "forbidden", "note": ""},
    )
    assert response.status_code == 200 and "Not a value of this kind" in response.content.decode()
    assert not CryptoRule.objects.exists()


# The cache ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_reads_an_admin_change_at_once(operator_client, sha1) -> None:
    assert crypto_rules()[("integrity", "sha1")][0] == "deprecated"  # cached now
    operator_client.post(
        reverse("admin:vpn_cryptorule_change", args=[sha1.pk]),
        {"kind": "integrity", "value": "sha1", "status": "forbidden", "note": ""},
    )
    assert crypto_rules()[("integrity", "sha1")][0] == "forbidden"


@pytest.mark.django_db
def test_it_renders_the_form_from_the_cached_policy(alice_client, sha1) -> None:
    alice_client.get(reverse(CREATE))  # reads and caches the policy
    with CaptureQueriesContext(connection) as queries:
        alice_client.get(reverse(CREATE))
    assert not [q for q in queries.captured_queries if "vpn_cryptorule" in q["sql"]]
