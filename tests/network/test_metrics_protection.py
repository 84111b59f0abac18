"""/metrics exists only with PORTAL_METRICS_TOKEN set, answers only that bearer token, and never
asks for (or accepts in place of the token) a tenant's or an operator's login."""

import pytest

from tests.network.metrics_world import TOKEN

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(settings):  # type: ignore[no-untyped-def]
    settings.PORTAL_METRICS_TOKEN = TOKEN


def test_it_is_not_found_without_a_configured_token(client, settings) -> None:
    settings.PORTAL_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_it_refuses_a_wrong_token(client, token) -> None:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"s2s_" not in response.content


def test_it_refuses_a_request_without_a_token(client, token) -> None:
    assert client.get("/metrics").status_code == 401


def test_it_refuses_a_signed_in_user_without_the_token(alice_client, token) -> None:
    assert alice_client.get("/metrics").status_code == 401


def test_it_answers_the_token_in_prometheus_text_format(client, token) -> None:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"# TYPE s2s_connections gauge" in response.content
