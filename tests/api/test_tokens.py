"""The portal's API token page: list, create (shown once), revoke; one account's tokens only."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api.actions import create_token
from api.models import ApiToken, digest
from portal.models import User
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

PAGE = "/accounts/api-tokens/"
TOKEN = re.compile(r"s2s_[A-Za-z0-9_-]{43}")


def _create(client: Client, **data: object) -> str:
    response = client.post(PAGE, {"name": "terraform", **data})
    assert response.status_code == 200, response.content
    return response.content.decode()


def test_it_lists_the_accounts_tokens_with_their_dates(alice_client, alice, bob) -> None:  # type: ignore[no-untyped-def]
    token, _plaintext = create_token(user=bob, name="ci")
    ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
    html = alice_client.get(PAGE).content.decode()
    assert "ci" in html and token.shown in html and "bob" in html
    assert "never" in html  # expires


def test_it_shows_no_token_of_another_account(alice_client, charlie) -> None:  # type: ignore[no-untyped-def]
    token, _plaintext = create_token(user=charlie, name="globex-secret-name")
    html = alice_client.get(PAGE).content.decode()
    assert "globex-secret-name" not in html and token.shown not in html


def test_it_shows_a_new_token_once_and_stores_only_its_digest(alice_client, alice) -> None:  # type: ignore[no-untyped-def]
    html = _create(alice_client)
    plaintext = TOKEN.search(html)
    assert plaintext is not None
    assert "will not be shown again" in html
    token = ApiToken.objects.get(account=alice.account)
    assert token.digest == digest(plaintext.group()) and token.user == alice
    assert plaintext.group() not in alice_client.get(PAGE).content.decode()


def test_it_makes_a_token_the_api_accepts(alice_client, vpc) -> None:  # type: ignore[no-untyped-def]
    match = TOKEN.search(_create(alice_client))
    assert match is not None
    response = bearer(match.group()).get(reverse("api:vpc-list"))
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["prod"]


def test_it_sets_the_expiry_in_days(alice_client, alice) -> None:  # type: ignore[no-untyped-def]
    _create(alice_client, expires_days="30")
    token = ApiToken.objects.get(account=alice.account)
    assert token.expires is not None
    assert abs(token.expires - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


@pytest.mark.parametrize("bad", [{"name": ""}, {"expires_days": "0"}, {"expires_days": "x"}])
def test_it_refuses_bad_input_with_the_form(alice_client, alice, bad) -> None:  # type: ignore[no-untyped-def]
    response = alice_client.post(PAGE, {"name": "terraform", **bad})
    assert response.status_code == 422
    assert not TOKEN.search(response.content.decode())
    assert not ApiToken.objects.exists()


def test_it_refuses_a_token_past_the_accounts_limit(alice_client, alice, bob, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_API_TOKENS_PER_ACCOUNT = 2
    create_token(user=alice, name="one")
    create_token(user=bob, name="two")
    response = alice_client.post(PAGE, {"name": "three"})
    assert response.status_code == 422
    assert "2 of 2 API tokens" in response.content.decode()
    assert ApiToken.objects.filter(account=alice.account).count() == 2


def test_it_counts_no_revoked_token_against_the_limit(alice_client, alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_API_TOKENS_PER_ACCOUNT = 1
    token, _plaintext = create_token(user=alice, name="old")
    alice_client.post(reverse("api-tokens:revoke", args=[token.pk]))
    assert TOKEN.search(_create(alice_client))


def test_it_revokes_a_token_after_a_confirm_dialog(alice_client, alice) -> None:  # type: ignore[no-untyped-def]
    token, plaintext = create_token(user=alice, name="ci")
    url = reverse("api-tokens:revoke", args=[token.pk])
    dialog = alice_client.get(url, headers={"HX-Request": "true"})
    assert b"<dialog" in dialog.content and b"Revoke API token" in dialog.content
    response = alice_client.post(url, headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == PAGE
    token.refresh_from_db()
    assert token.revoked is not None
    assert bearer(plaintext).get(reverse("api:vpc-list")).status_code == 401


def test_it_shows_the_confirm_as_a_page_without_javascript(alice_client, alice) -> None:  # type: ignore[no-untyped-def]
    token, _plaintext = create_token(user=alice, name="ci")
    response = alice_client.get(reverse("api-tokens:revoke", args=[token.pk]))
    assert response.status_code == 200
    assert b"<dialog" not in response.content and b"Revoke API token" in response.content


def test_it_lets_no_one_revoke_another_accounts_token(charlie_client, alice) -> None:  # type: ignore[no-untyped-def]
    token, _plaintext = create_token(user=alice, name="ci")
    url = reverse("api-tokens:revoke", args=[token.pk])
    assert charlie_client.get(url).status_code == 404
    assert charlie_client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked is None


def test_it_is_a_404_for_a_user_without_an_account(db) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(User.objects.create_user("ops", password="pw-ops", is_staff=True))
    assert client.get(PAGE).status_code == 404


def test_it_is_linked_from_the_security_page(alice_client) -> None:  # type: ignore[no-untyped-def]
    assert PAGE.encode() in alice_client.get(reverse("accounts:security")).content


def test_it_loads_the_copy_script_with_the_csp_nonce(alice_client) -> None:  # type: ignore[no-untyped-def]
    response = alice_client.get(PAGE)
    script = re.search(rb'<script src="[^"]*js/copy\.js" nonce="([^"]+)"', response.content)
    assert script is not None
    assert f"'nonce-{script.group(1).decode()}'" in response.headers["Content-Security-Policy"]


def test_it_lists_tokens_in_a_constant_number_of_queries(alice_client, alice, bob) -> None:  # type: ignore[no-untyped-def]
    create_token(user=alice, name="one")
    with CaptureQueriesContext(connection) as one:
        alice_client.get(PAGE)
    for n in range(5):
        create_token(user=bob if n % 2 else alice, name=f"more-{n}")
    with CaptureQueriesContext(connection) as six:
        alice_client.get(PAGE)
    assert len(six) == len(one)
