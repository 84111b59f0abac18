"""API tokens made and revoked on the portal's token page and in the admin are recorded by
name (never the token itself)."""

import pytest
from django.urls import reverse

from api.actions import create_token
from api.models import ApiToken
from portal.models import AuditEvent


@pytest.mark.django_db
def test_it_records_a_token_created_on_the_token_page(alice_client, alice) -> None:
    response = alice_client.post(reverse("api-tokens:list"), {"name": "ci", "expires_days": ""})
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="token-created")
    token = ApiToken.objects.get(name="ci")
    assert (event.actor, event.via, event.object_id) == (alice, "portal", str(token.pk))
    assert event.object_label == "API token ci"


@pytest.mark.django_db
def test_it_records_a_revoke_once(alice_client, alice) -> None:
    token, _plaintext = create_token(user=alice, name="old")
    for _ in range(2):  # revoking again changes nothing, and records nothing
        alice_client.post(reverse("api-tokens:revoke", args=[token.pk]))
    event = AuditEvent.objects.get(action="token-revoked")
    assert (event.actor, event.object_label) == (alice, "API token old")


@pytest.mark.django_db
def test_it_records_an_operators_revoke_in_the_admin(client, operator, alice) -> None:
    token, _plaintext = create_token(user=alice, name="leaked")
    client.force_login(operator)
    client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    event = AuditEvent.objects.get(action="token-revoked")
    assert (event.actor, event.via, event.account) == (operator, "admin", alice.account)
