"""A configuration charon refuses becomes Error with charon's words, and is pushed again later.

Unit test: a fake VICI session stands in for charon (the lab tests use real daemons).
"""

from contextlib import contextmanager

import pytest
from vici.exception import CommandException

from agent import converge
from vpn.models import VpnConnection


class RefusingSession:
    """Answers like an empty charon that refuses every load-conn."""

    def __init__(self) -> None:
        self.loaded: list[str] = []

    def get_conns(self) -> dict:
        return {"conns": []}

    def get_shared(self) -> dict:
        return {"keys": []}

    def list_sas(self, *args: object) -> list:
        return []

    def list_conns(self, *args: object) -> list:
        return []

    def load_shared(self, message: dict) -> None:
        self.loaded.append(message["id"])

    def load_conn(self, message: dict) -> None:
        raise CommandException("Command failed: invalid value for: proposals, config discarded")


@pytest.fixture
def refusing(monkeypatch):  # type: ignore[no-untyped-def]
    session = RefusingSession()

    @contextmanager
    def fake_open_session(uri: str, timeout: float = 5.0):  # type: ignore[no-untyped-def]
        yield session

    monkeypatch.setattr(converge, "open_session", fake_open_session)
    return session


@pytest.fixture
def connection(on_node, gateway, cgw):  # type: ignore[no-untyped-def]
    """A new connection on a router of this node (its charon answered by the fake session)."""
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)


@pytest.mark.django_db
def test_it_records_a_refused_configuration_and_retries_it(connection, refusing) -> None:
    router = connection.gateway.vpc.router
    converge.reconcile_router(router.pk)
    connection.refresh_from_db()
    assert connection.state == "error"
    assert connection.state_reason == converge.REFUSED  # plain words for the tenant
    assert connection.operator_detail == (  # charon's own, for the operator
        "invalid value for: proposals, config discarded"
    )
    assert connection.pushed_fingerprint == ""  # not pushed: the next reconcile tries again
    converge.reconcile_router(router.pk)
    assert refusing.loaded == [f"psk-vpn-{connection.pk}"] * 2
    router.refresh_from_db()
    assert router.state == "running"


@pytest.mark.django_db
def test_it_records_a_refusal_of_the_fast_push_of_one_connection(connection, refusing) -> None:
    converge.push_connection(connection.pk)
    connection.refresh_from_db()
    assert connection.state == "error"
    assert connection.state_reason == converge.REFUSED
    assert "invalid value for: proposals" in connection.operator_detail
    assert connection.pushed_fingerprint == ""
    assert refusing.loaded == [f"psk-vpn-{connection.pk}"]


@pytest.mark.django_db
def test_it_refuses_a_task_for_a_router_of_another_node(connection, refusing, elsewhere) -> None:
    router = connection.gateway.vpc.router
    router.node = elsewhere
    router.save()
    converge.reconcile_router(router.pk)
    converge.push_connection(connection.pk)
    converge.reset_connection(connection.pk)
    assert refusing.loaded == []  # nothing reached this node's charon
    connection.refresh_from_db()
    assert connection.state == "pending"
