"""Changes are rate-limited per user: past PORTAL_RATE_LIMIT, a 429 that says so."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from portal.security import changes_key, parse_rate

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many changes in a short time; try again in an hour."


@pytest.fixture(autouse=True)
def _three_an_hour(settings, alice, charlie):  # type: ignore[no-untyped-def]
    settings.PORTAL_RATE_LIMIT = "3/hour"  # an hour: no window closes while a test runs
    keys = [changes_key(user.pk, 3600) for user in (alice, charlie)]
    cache.delete_many(keys)  # a database that reuses ids may have counted for them before
    yield
    cache.delete_many(keys)


def _change(client, **headers):  # type: ignore[no-untyped-def]
    """A change that writes nothing: an empty password change form (200, with its errors)."""
    return client.post(reverse("accounts:password-change"), {}, **headers)


def test_it_lets_changes_through_up_to_the_limit(alice_client) -> None:
    assert [_change(alice_client).status_code for _ in range(3)] == [200, 200, 200]


def test_it_answers_429_with_a_page_past_the_limit(alice_client) -> None:
    for _ in range(3):
        _change(alice_client)
    response = _change(alice_client)
    assert response.status_code == 429
    assert TOO_MANY in response.content.decode()
    assert response["Retry-After"] == "3600"


def test_it_tells_htmx_to_show_the_message_on_the_page(alice_client) -> None:
    for _ in range(3):
        _change(alice_client)
    response = _change(alice_client, HTTP_HX_REQUEST="true")
    assert response.status_code == 429
    assert response["HX-Refresh"] == "true"
    page = alice_client.get(reverse("network:vpc-list")).content.decode()
    assert TOO_MANY in page


def test_it_counts_each_user_alone(alice_client, charlie_client) -> None:
    for _ in range(4):
        _change(alice_client)
    assert _change(charlie_client).status_code == 200


def test_it_does_not_count_reading(alice_client) -> None:
    for _ in range(5):
        alice_client.get(reverse("accounts:password-change"))
    assert _change(alice_client).status_code == 200


def test_it_always_lets_the_user_log_out(alice_client) -> None:
    for _ in range(4):
        _change(alice_client)
    assert alice_client.post(reverse("logout")).status_code == 302


def test_it_starts_over_when_the_window_closes(alice_client, alice) -> None:
    for _ in range(4):
        _change(alice_client)
    cache.delete(changes_key(alice.pk, 3600))  # what the window's expiry does
    assert _change(alice_client).status_code == 200


def test_it_can_be_turned_off(alice_client, settings) -> None:
    settings.PORTAL_RATE_LIMIT = ""
    assert {_change(alice_client).status_code for _ in range(5)} == {200}


def test_it_refuses_a_limit_it_cannot_read() -> None:
    assert parse_rate("60/minute") == (60, 60)
    with pytest.raises(ImproperlyConfigured):
        parse_rate("sixty a minute")
