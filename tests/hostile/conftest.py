"""The hostile-tenant suite: two tenants attacking each other, arbitrary input, races, and a
canary pre-shared key watched for the whole run (see watch.py). test_canary.py runs last."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.test.client import ClientHandler
from django.utils import timezone
from hypothesis import HealthCheck, settings

from network.models import NetworkNode, PublicIp
from tests.hostile.watch import Watch
from tests.hostile.world import World, build_world, cgw_with_canary, erase_worlds
from vpn.actions import create_gateway

HERE = Path(__file__).parent
LAST = "test_canary.py"  # its checks need everything else to have run

# Hypothesis: few examples (the suite stays under a minute), no deadline (each example is a
# request against PostgreSQL), no example database written into the repository.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """test_canary.py last among this package's tests (they stay together, so the package's
    watchers live once)."""
    positions = [n for n, item in enumerate(items) if HERE in item.path.parents]
    if not positions or positions != list(range(positions[0], positions[-1] + 1)):
        return
    block = items[positions[0] : positions[-1] + 1]
    block.sort(key=lambda item: item.path.name == LAST)  # stable: the rest keep their order
    items[positions[0] : positions[-1] + 1] = block


@pytest.fixture(scope="package")
def watch() -> Iterator[Watch]:
    """For the whole suite: every test-client response and every log record (DEBUG and up)."""
    the_watch = Watch()
    handler = the_watch.handler()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    original = ClientHandler.__call__

    def watched(self: ClientHandler, environ: dict[str, Any]) -> Any:
        response = original(self, environ)
        the_watch.see_response(environ, response)
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ClientHandler, "__call__", watched)
        yield the_watch
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _no_change_limit(settings):  # type: ignore[no-untyped-def]
    """The per-user limit on changes is a defence of its own (tests/portal); here it would
    answer 429 to the attacks long before they reach the checks under test."""
    settings.PORTAL_RATE_LIMIT = ""


@pytest.fixture(autouse=True)
def _watched(request: pytest.FixtureRequest, watch: Watch) -> Iterator[None]:
    """Names the running test in what the watchers find, and scans the database after every
    test that used it (before its rows are rolled back or flushed)."""
    names = request.fixturenames
    uses = "transactional_db" if "transactional_db" in names else None
    if uses is None and ("db" in names or request.node.get_closest_marker("django_db")):
        uses = "db"
    if uses:
        request.getfixturevalue(uses)  # set up first, so torn down after the scan
    watch.test = request.node.nodeid
    yield
    if uses:
        watch.scan_database()
    watch.test = ""


# -- the cast ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker) -> Iterator[tuple[World, World]]:  # type: ignore[no-untyped-def]
    """Tenant A (the attacker) and tenant B (the victim), committed once for a module; each
    test's own changes roll back."""
    with django_db_blocker.unblock():
        node = NetworkNode.objects.create(name="hostile-a", last_heartbeat=timezone.now())
        pool = PublicIp.objects.bulk_create(
            [PublicIp(address=f"198.51.100.{n}") for n in range(100, 106)]
        )
        a, b = build_world("tenantA-k3", 11), build_world("tenantB-w9", 21)
    yield a, b
    with django_db_blocker.unblock():
        erase_worlds(a, b)
        PublicIp.objects.filter(pk__in=[ip.pk for ip in pool]).delete()
        node.delete()


@contextmanager
def rolled_back(watch: Watch) -> Iterator[None]:
    """One hypothesis example's writes: scanned for the canary, then undone."""
    with transaction.atomic():
        try:
            yield
            watch.scan_database()
        finally:
            transaction.set_rollback(True)


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def gateway(vpc):  # type: ignore[no-untyped-def]
    return create_gateway(vpc)[0]


@pytest.fixture
def cgw(alice):  # type: ignore[no-untyped-def]
    return cgw_with_canary(alice.account, "hq", "203.0.113.10", "192.168.10.0/24")
