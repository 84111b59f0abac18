"""Every answer of the API is the JSON its schema documents: a path no route matches (an id that
is no number) is a JSON 404, and the portal pages' per-user change limit (an HTML 429) leaves
the API to its own JSON limit."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import bearer, token_for


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/vpcs/null/", "/api/v1/vpcs/-5/tiers/253/", "/api/v1/no-such-thing/"]
)
def test_it_answers_an_unmatched_api_path_with_json(alice, path: str) -> None:  # type: ignore[no-untyped-def]
    response = bearer(token_for(alice)).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_it_keeps_the_page_for_an_unmatched_portal_path(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/network/vpcs/null/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_it_leaves_api_changes_to_the_apis_own_limit(alice, settings: Any) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_RATE_LIMIT = "1/minute"
    settings.PORTAL_API_RATE = "100/minute"
    client = APIClient()
    client.force_login(
        alice
    )  # a browser session (the docs' "Try it out"), which the middleware sees
    answers = [
        client.post("/api/v1/customer-gateways/", {"name": ""}, format="json").status_code
        for _ in range(3)
    ]
    assert answers == [400, 400, 400]
