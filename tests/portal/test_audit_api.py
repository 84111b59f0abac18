"""Through the REST API with a token: the token's user is the actor, the door is "api", and the
token is named (its name and id, never its value)."""

import pytest
from django.urls import reverse

from api.models import ApiToken
from portal.models import AuditEvent
from tests.api.conftest import bearer, token_for


@pytest.fixture
def api(alice):  # type: ignore[no-untyped-def]
    return bearer(token_for(alice, name="deploy-bot"))


@pytest.mark.django_db
def test_it_records_a_customer_gateway_created_with_a_token(api, alice) -> None:
    response = api.post(
        reverse("api:customer-gateway-list"),
        {
            "name": "branch",
            "gateway_ip": "203.0.113.20",
            "cidr_list": "192.168.20.0/24",
            "psk": "An0ther-Secret-Key",
        },
        format="json",
    )
    assert response.status_code == 201
    event = AuditEvent.objects.get(action="created")
    token = ApiToken.objects.get(name="deploy-bot")
    assert (event.actor, event.via, event.account) == (alice, "api", alice.account)
    assert event.detail == {"token": {"id": token.pk, "name": "deploy-bot"}}
    assert event.address == "127.0.0.1"


@pytest.mark.django_db
def test_it_records_a_configuration_download_through_the_api(api, connection) -> None:
    url = reverse("api:connection-configuration", args=[connection.pk])
    assert api.get(url, {"device": "libreswan"}).status_code == 200
    event = AuditEvent.objects.get(action="downloaded")
    assert (event.via, event.detail["device"]) == ("api", "libreswan")


@pytest.mark.django_db
def test_it_records_nothing_for_a_refused_request(api, charlie, connection) -> None:
    charlie_api = bearer(token_for(charlie))
    url = reverse("api:connection-reset", args=[connection.pk])
    assert charlie_api.post(url).status_code == 404
    assert not AuditEvent.objects.filter(action="reset").exists()
