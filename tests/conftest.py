"""The shared cast: alice (owner) and bob (same account), charlie (another account: 404
everywhere)."""

import pytest
from django.test import Client

from network.models import PublicIp
from portal.models import Account, User


@pytest.fixture(autouse=True)
def _settings(settings):  # type: ignore[no-untyped-def]
    settings.SECURE_SSL_REDIRECT = False
    return settings


@pytest.fixture
def pool(db) -> list[PublicIp]:  # type: ignore[no-untyped-def]
    return PublicIp.objects.bulk_create(
        [PublicIp(address=f"198.51.100.{n}") for n in range(10, 20)]
    )


@pytest.fixture
def acme(db) -> Account:  # type: ignore[no-untyped-def]
    return Account.objects.create(name="Acme")


@pytest.fixture
def globex(db) -> Account:  # type: ignore[no-untyped-def]
    return Account.objects.create(name="Globex")


def _user(name: str, account: Account) -> User:
    return User.objects.create_user(username=name, password="pw-" + name, account=account)


@pytest.fixture
def alice(acme: Account) -> User:
    return _user("alice", acme)


@pytest.fixture
def bob(acme: Account) -> User:
    return _user("bob", acme)


@pytest.fixture
def charlie(globex: Account) -> User:
    return _user("charlie", globex)


def _client_of(user: User) -> Client:
    """A browser session of its own per user, so two users can act in one test."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice: User) -> Client:
    return _client_of(alice)


@pytest.fixture
def charlie_client(charlie: User) -> Client:
    return _client_of(charlie)


@pytest.fixture
def live_node(db):  # type: ignore[no-untyped-def]
    """A network node that has just heartbeaten (no agent runs in unit tests)."""
    from django.utils import timezone

    from network.models import NetworkNode

    return NetworkNode.objects.create(name="unit-a", last_heartbeat=timezone.now())


@pytest.fixture
def vpc(alice, pool, live_node):  # type: ignore[no-untyped-def]
    from network.actions import create_vpc

    return create_vpc(
        account=alice.account,
        name="prod",
        cidr="10.1.0.0/16",
        tier_name="web",
        tier_cidr="10.1.1.0/24",
    )


def broker_key(name: str) -> str:
    """The Redis key of a queue in this test run's broker namespace."""
    from django.conf import settings

    return str(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")) + name


@pytest.fixture(scope="session", autouse=True)
def _clean_broker_namespace():  # type: ignore[no-untyped-def]
    """Messages the unit tests enqueued (no worker consumes them) go when the run ends."""
    yield
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for key in client.scan_iter(broker_key("*")):
        client.delete(key)


@pytest.fixture(scope="session")
def stack(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The whole product running (two network nodes, the portal's worker and beat, the lab):
    one per test session, shared by the end-to-end and the browser tests."""
    import os
    import tempfile
    from pathlib import Path

    from tests.stack import Stack

    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    the_stack = Stack(Path(tempfile.mkdtemp(prefix="s2s-stack-")))
    with django_db_blocker.unblock():
        the_stack.start()
    yield the_stack
    the_stack.stop()


@pytest.fixture
def lab(stack, transactional_db):  # type: ignore[no-untyped-def]
    from tests.stack import lab_fixture

    yield from lab_fixture(stack)


def pytest_collection_modifyitems(config, items) -> None:  # type: ignore[no-untyped-def]
    """The tests with the running stack (network node agents heartbeating into the test
    database) go last, so that no other test ever sees a live node it did not make."""
    items.sort(key=lambda item: "stack" in getattr(item, "fixturenames", ()))


def pytest_report_header(config) -> str:  # type: ignore[no-untyped-def]
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    return f"database: {engine} broker: {settings.CELERY_BROKER_URL}"
