"""?wait=<state>&timeout=<s> on a connection's detail: a long poll that answers as soon as the
state is reached, or at the timeout with the state as it is."""

import threading
import time

import pytest
from django.db import connection as db
from django.urls import reverse

from vpn.models import VpnConnection


def _change_state_later(pk: int, state: str, after: float) -> threading.Thread:
    def change() -> None:
        time.sleep(after)
        try:
            VpnConnection.objects.filter(pk=pk).update(state=state)
        finally:
            db.close()  # this thread's own database connection

    thread = threading.Thread(target=change)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_it_answers_as_soon_as_the_state_is_reached(api, connection) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:connection-detail", args=[connection.pk])
    thread = _change_state_later(connection.pk, "connected", after=0.5)
    started = time.monotonic()
    response = api.get(url, {"wait": "connected", "timeout": "20"})
    took = time.monotonic() - started
    thread.join()
    assert response.json()["state"] == "connected"
    assert 0.4 < took < 5


@pytest.mark.django_db
def test_it_answers_at_the_timeout_with_the_current_state(api, connection) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:connection-detail", args=[connection.pk])
    started = time.monotonic()
    response = api.get(url, {"wait": "connected", "timeout": "0.6"})
    assert 0.5 < time.monotonic() - started < 3
    assert (response.status_code, response.json()["state"]) == (200, "pending")


@pytest.mark.django_db
def test_it_answers_at_once_when_the_state_is_already_there(api, connection) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:connection-detail", args=[connection.pk])
    started = time.monotonic()
    assert api.get(url, {"wait": "pending", "timeout": "30"}).status_code == 200
    assert time.monotonic() - started < 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"wait": "up"}, "wait"),
        ({"wait": "connected", "timeout": "61"}, "timeout"),
        ({"wait": "connected", "timeout": "-1"}, "timeout"),
        ({"wait": "connected", "timeout": "soon"}, "timeout"),
    ],
    ids=str,
)
def test_it_refuses_a_wait_it_cannot_do(api, connection, query, field) -> None:  # type: ignore[no-untyped-def]
    response = api.get(reverse("api:connection-detail", args=[connection.pk]), query)
    assert response.status_code == 400
    assert list(response.json()) == [field]
