"""PORTAL_API_RATE: requests per token (per user for a browser session), 429 past it."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from api.throttles import TokenRateThrottle, parse_api_rate
from tests.api.conftest import bearer, token_for

pytestmark = pytest.mark.django_db

LIST = "/api/v1/vpcs/"
WINDOW_START = 1_800_000_000  # a multiple of 60: the minute's window opens here


@pytest.fixture(autouse=True)
def _rate(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_API_RATE = "3/minute"
    # 10 s into a window, whatever the wall clock says, so no run straddles two windows.
    monkeypatch.setattr(TokenRateThrottle, "timer", staticmethod(lambda: WINDOW_START + 10.0))


def _spend(client, n: int = 3) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        assert client.get(LIST).status_code == 200


def test_it_answers_429_with_retry_after_past_the_rate(api) -> None:  # type: ignore[no-untyped-def]
    _spend(api)
    response = api.get(LIST)
    assert response.status_code == 429
    assert response["Retry-After"] == "50"
    assert "detail" in response.json()


def test_it_counts_each_token_apart(alice) -> None:  # type: ignore[no-untyped-def]
    first, second = bearer(token_for(alice, "one")), bearer(token_for(alice, "two"))
    _spend(first)
    assert first.get(LIST).status_code == 429
    assert second.get(LIST).status_code == 200


def test_it_counts_writes_and_reads_alike(api) -> None:  # type: ignore[no-untyped-def]
    _spend(api, 2)
    api.post(LIST, {}, format="json")  # a 400, but a request all the same
    assert api.get(LIST).status_code == 429


def test_it_counts_a_browser_session_under_its_user(alice_client: Client) -> None:
    _spend(alice_client)
    assert alice_client.get(LIST).status_code == 429


def test_it_opens_the_next_window(api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _spend(api)
    monkeypatch.setattr(TokenRateThrottle, "timer", staticmethod(lambda: WINDOW_START + 60.0))
    assert api.get(LIST).status_code == 200


def test_it_has_no_limit_when_the_setting_is_empty(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_API_RATE = ""
    _spend(api, 5)


def test_it_names_a_bad_setting() -> None:
    with pytest.raises(ImproperlyConfigured, match="PORTAL_API_RATE"):
        parse_api_rate("lots")


def test_it_reads_every_period() -> None:
    assert [parse_api_rate(f"5/{unit}") for unit in ("second", "min", "hour", "day")] == [
        (5, 1),
        (5, 60),
        (5, 3600),
        (5, 86400),
    ]


def test_it_leaves_the_schema_to_anonymous_readers_by_address(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_API_RATE = "1/minute"
    assert client.get(reverse("api:schema")).status_code == 200
    assert client.get(reverse("api:schema")).status_code == 429
