"""Operators list, search, filter and revoke API tokens in the admin; nobody sees a token."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from api.actions import create_token, revoke_token
from api.models import ApiToken
from portal.models import User

pytestmark = pytest.mark.django_db

LIST = "/admin/api/apitoken/"


@pytest.fixture
def operator_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", password="x"))
    return client


@pytest.fixture
def tokens(alice, charlie) -> dict[str, tuple[ApiToken, str]]:  # type: ignore[no-untyped-def]
    return {
        "alice": create_token(user=alice, name="terraform"),
        "charlie": create_token(user=charlie, name="provisioning"),
    }


def test_it_lists_tokens_with_account_user_and_dates(operator_client, tokens) -> None:  # type: ignore[no-untyped-def]
    html = operator_client.get(LIST).content.decode()
    for token, _plaintext in tokens.values():
        assert token.name in html and token.shown in html and token.account.name in html
    assert "alice" in html and "Last used" in html


def test_it_never_shows_a_token_or_its_digest(operator_client, tokens) -> None:  # type: ignore[no-untyped-def]
    token, plaintext = tokens["alice"]
    pages = [LIST, f"{LIST}{token.pk}/change/", f"{LIST}?q=terraform"]
    for page in pages:
        html = operator_client.get(page).content.decode()
        assert plaintext not in html and token.digest not in html, page


def test_it_searches_by_user(operator_client, tokens) -> None:  # type: ignore[no-untyped-def]
    html = operator_client.get(LIST, {"q": "charlie"}).content.decode()
    assert "provisioning" in html and "terraform" not in html


def test_it_filters_usable_tokens(operator_client, tokens) -> None:  # type: ignore[no-untyped-def]
    revoke_token(tokens["charlie"][0])
    html = operator_client.get(LIST, {"usable": "yes"}).content.decode()
    assert "terraform" in html and "provisioning" not in html


def test_it_offers_no_add_change_or_delete(operator_client, tokens) -> None:  # type: ignore[no-untyped-def]
    token, _plaintext = tokens["alice"]
    assert operator_client.get(f"{LIST}add/").status_code == 403
    assert operator_client.post(f"{LIST}{token.pk}/change/", {"name": "x"}).status_code == 403
    assert operator_client.post(f"{LIST}{token.pk}/delete/", {"post": "yes"}).status_code == 403
    token.refresh_from_db()
    assert token.name == "terraform"


def test_it_revokes_the_selected_tokens(operator_client, tokens) -> None:  # type: ignore[no-untyped-def]
    token, _plaintext = tokens["alice"]
    response = operator_client.post(
        LIST, {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert b"1 API token(s) revoked." in response.content
    token.refresh_from_db()
    assert token.revoked is not None
    assert tokens["charlie"][0].revoked is None


def test_it_lets_only_the_change_permission_revoke(client, tokens) -> None:  # type: ignore[no-untyped-def]
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
    client.force_login(viewer)
    token, _plaintext = tokens["alice"]
    client.post(LIST, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked is None
