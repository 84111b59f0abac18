"""Generate on the customer gateway form: a strong key from ``secrets``, put into the key field and
shown once, stored only when the tenant saves, never cached or logged, for the owner only."""

import logging
import re
import string

import pytest
from django.urls import reverse

from tests.vpn.conftest import PSK, make_cgw
from tests.vpn.test_portal_bad_input import GOOD
from vpn import rules
from vpn.models import CustomerGateway

CREATE = "vpn:customer-gateway-create"
GENERATE = {**GOOD, "psk": "", "generate_psk": "1"}


def _generated(response) -> str:  # type: ignore[no-untyped-def]
    return str(response.context["generated_psk"])


def test_it_generates_40_letters_and_digits_starting_with_a_letter() -> None:
    for _ in range(200):
        psk = rules.generate_psk()
        assert len(psk) == 40
        assert set(psk) <= set(string.ascii_letters + string.digits)
        assert psk[0] in string.ascii_letters


def test_it_generates_keys_the_portal_accepts() -> None:
    rules.validate_psk(rules.generate_psk())  # raises if not


def test_it_never_generates_the_same_key_twice() -> None:
    assert len({rules.generate_psk() for _ in range(1000)}) == 1000


@pytest.mark.django_db
def test_it_puts_a_generated_key_into_the_key_field(alice_client) -> None:
    response = alice_client.post(reverse(CREATE), GENERATE)
    psk = _generated(response)
    assert f'value="{psk}"' in response.content.decode()


@pytest.mark.django_db
def test_it_keeps_what_the_tenant_typed_while_generating(alice_client) -> None:
    response = alice_client.post(reverse(CREATE), {**GENERATE, "name": "typed-name"})
    assert response.context["form"]["name"].value() == "typed-name"


@pytest.mark.django_db
def test_it_saves_nothing_when_generating(alice_client) -> None:
    alice_client.post(reverse(CREATE), GENERATE)
    assert not CustomerGateway.objects.exists()


@pytest.mark.django_db
def test_it_marks_the_generated_key_no_store(alice_client) -> None:
    response = alice_client.post(reverse(CREATE), GENERATE)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_htmx_with_the_key_field_alone(alice_client) -> None:
    response = alice_client.post(reverse(CREATE), GENERATE, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="psk-field"') and "<html" not in page
    assert re.search(r'value="[A-Za-z][A-Za-z0-9]{39}"', page)


@pytest.mark.django_db
def test_it_stores_the_generated_key_when_the_tenant_saves(alice_client, alice) -> None:
    psk = _generated(alice_client.post(reverse(CREATE), GENERATE))
    alice_client.post(reverse(CREATE), {**GOOD, "psk": psk})
    assert CustomerGateway.objects.get(account=alice.account).get_psk() == psk


@pytest.mark.django_db
def test_it_keeps_the_current_key_until_an_edit_is_saved(alice_client, cgw) -> None:
    url = reverse("vpn:customer-gateway-edit", args=[cgw.pk])
    psk = _generated(alice_client.post(url, GENERATE))
    cgw.refresh_from_db()
    assert cgw.get_psk() == PSK
    alice_client.post(url, {**GOOD, "psk": psk})
    cgw.refresh_from_db()
    assert cgw.get_psk() == psk


@pytest.mark.django_db
def test_it_never_logs_the_generated_key(alice_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    psk = _generated(alice_client.post(reverse(CREATE), GENERATE))
    assert psk not in caplog.text


@pytest.mark.django_db
def test_it_sends_an_anonymous_visitor_to_the_login(client) -> None:
    response = client.post(reverse(CREATE), GENERATE)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_it_generates_for_another_accounts_gateway_never(charlie_client, alice) -> None:
    url = reverse("vpn:customer-gateway-edit", args=[make_cgw(alice.account).pk])
    assert charlie_client.post(url, GENERATE).status_code == 404
