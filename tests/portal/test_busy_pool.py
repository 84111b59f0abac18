"""Overload queues, then answers 503: every PostgreSQL connection of the process is busy.

A request's thread waits up to the pool's timeout for a connection (portal/settings.py,
DATABASE_POOL_SIZE / DATABASE_POOL_TIMEOUT); when none comes back it gets "busy, try again"
(503 with Retry-After, JSON for the REST API), not a 500, and nothing of it is done. The pool
here is the real one: the test takes every connection it has, as a burst of requests would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from psycopg_pool import PoolTimeout

from portal.models import User
from tests.api.conftest import bearer, token_for
from tests.vpn.test_portal_bad_input import GOOD
from vpn.models import CustomerGateway

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def _pool_taken() -> Iterator[None]:
    """Every connection of the pool taken (this thread's own included); waits cut to 0.3 s."""
    pool = connection.pool
    if pool is None:
        pytest.skip("the database has no connection pool (SQLite, or DATABASE_POOL_SIZE=0)")
    connection.ensure_connection()
    held = []
    timeout, pool.timeout = pool.timeout, 0.3
    try:
        while True:
            try:
                held.append(pool.getconn(timeout=0.2))
            except PoolTimeout:
                break
        assert len(held) + 1 >= pool.max_size  # this thread's connection is the last one
        yield
    finally:
        for conn in held:
            pool.putconn(conn)
        pool.timeout = timeout


def _in_a_thread(call: Callable[[], Any]) -> Any:
    """What ``call`` returns, run in a thread of its own (as ASGI runs each request's view)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = call()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return result["value"]


def test_a_page_request_waits_then_says_busy_and_changes_nothing(alice: User) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    url = reverse("vpn:customer-gateway-create")
    with _pool_taken():
        response = _in_a_thread(lambda: client.post(url, GOOD))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "The portal is busy" in response.content.decode()
    assert not CustomerGateway.objects.filter(name=GOOD["name"]).exists()
    # Once connections are free again, the same request is served.
    again = _in_a_thread(lambda: client.post(url, GOOD))
    assert again.status_code == 302, again.content.decode()[:500]
    assert CustomerGateway.objects.filter(name=GOOD["name"]).exists()


def test_an_api_request_gets_json_503(alice: User) -> None:
    api = bearer(token_for(alice))
    api.raise_request_exception = False
    with _pool_taken():
        response = _in_a_thread(lambda: api.get("/api/v1/customer-gateways/"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "busy" in response.json()["detail"]
    assert _in_a_thread(lambda: api.get("/api/v1/customer-gateways/")).status_code == 200


def test_any_other_error_is_still_a_500() -> None:

    response = _error_page(RuntimeError("not the pool"))
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_a_database_that_cannot_be_reached_is_a_500_not_busy(monkeypatch: Any) -> None:
    """The pool's wait also runs out when no connection can be made at all (database down or
    misconfigured): that is a fault, not overload."""

    pool = connection.pool
    if pool is None:
        pytest.skip("the database has no connection pool (SQLite, or DATABASE_POOL_SIZE=0)")
    monkeypatch.setattr(pool, "get_stats", lambda: {"pool_size": 0, "pool_available": 0})
    response = _error_page(PoolTimeout("couldn't get a connection after 10.00 sec"))
    assert response.status_code == 500
    assert "Retry-After" not in response


def _error_page(error: Exception) -> Any:
    """The handler500 page for `error`, raised while a request was handled."""
    from portal.views import server_error

    request = Client().get("/").wsgi_request
    try:
        raise error
    except type(error):
        return server_error(request)
