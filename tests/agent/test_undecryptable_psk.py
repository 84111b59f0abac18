"""A pre-shared key that cannot be decrypted puts its own connection in Error, with a plain
sentence for the tenant and the details in the log, and every other connection of the router
is still reconciled and swept. What charon already has of that connection is left alone.

Unit test: a fake VICI session stands in for charon (the lab tests use real daemons).
"""

from contextlib import contextmanager

import pytest
from cryptography.fernet import Fernet

from agent import converge
from tests.vpn.conftest import PSK, make_cgw
from vpn.models import CustomerGateway, VpnConnection

UNREADABLE = "The pre-shared key could not be read; the operators have been told."


class Charon:
    """Answers like a charon that still holds the config, key and IKE SA of `kept` (pushed
    before its key became unreadable), and records every operation."""

    def __init__(self, kept: int) -> None:
        self.kept = f"vpn-{kept}"
        self.ops: list[tuple[str, str]] = []

    def get_conns(self) -> dict:
        return {"conns": [self.kept.encode()]}

    def get_shared(self) -> dict:
        return {"keys": [f"psk-{self.kept}".encode()]}

    def list_sas(self, *args: object) -> list:
        sa = {"uniqueid": b"9", "state": b"ESTABLISHED", "version": b"2", "child-sas": {}}
        return [{self.kept: sa}]

    def list_conns(self, *args: object) -> list:
        return []

    def load_shared(self, message: dict) -> None:
        self.ops.append(("load_shared", message["id"]))

    def load_conn(self, message: dict) -> None:
        self.ops.extend(("load_conn", name) for name in message)

    def unload_conn(self, message: dict) -> None:
        self.ops.append(("unload_conn", message["name"]))

    def unload_shared(self, message: dict) -> None:
        self.ops.append(("unload_shared", message["id"]))

    def terminate(self, message: dict):  # type: ignore[no-untyped-def]
        self.ops.append(("terminate", message.get("ike-id", "")))
        return iter(())

    def initiate(self, message: dict):  # type: ignore[no-untyped-def]
        self.ops.append(("initiate", message["child"]))
        return iter(())


@pytest.fixture
def pair(on_node, gateway, cgw):  # type: ignore[no-untyped-def]
    """Two connections on a router of this node; the second one's key cannot be read."""
    other = make_cgw(cgw.account, name="branch", ip="203.0.113.11", cidrs="192.168.20.0/24")
    good = VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    bad = VpnConnection.objects.create(gateway=gateway, customer_gateway=other)
    foreign = Fernet(Fernet.generate_key()).encrypt(PSK.encode()).decode()  # some other key
    CustomerGateway.objects.filter(pk=other.pk).update(psk_encrypted=foreign)
    return good, bad


@pytest.fixture
def charon(pair, monkeypatch):  # type: ignore[no-untyped-def]
    session = Charon(kept=pair[1].pk)

    @contextmanager
    def fake_open_session(uri: str, timeout: float = 5.0):  # type: ignore[no-untyped-def]
        yield session

    monkeypatch.setattr(converge, "open_session", fake_open_session)
    return session


def _fresh(*connections: VpnConnection) -> None:
    for connection in connections:
        connection.refresh_from_db()


@pytest.mark.django_db
def test_it_reconciles_the_others_and_puts_only_that_one_in_error(
    pair, charon, on_node, caplog
) -> None:
    good, bad = pair
    converge.reconcile_router(on_node.pk)
    _fresh(good, bad)
    assert (bad.state, bad.state_reason, bad.pushed_fingerprint) == ("error", UNREADABLE, "")
    assert charon.ops == [("load_shared", f"psk-vpn-{good.pk}"), ("load_conn", f"vpn-{good.pk}")]
    assert good.pushed_fingerprint and good.state == "disconnected"  # swept after the push
    [line] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert f"connection {bad.pk}" in line and f"customer gateway {bad.customer_gateway_id}" in line
    assert "PSK_ENCRYPTION_KEYS" in line and PSK not in caplog.text


@pytest.mark.django_db
def test_it_sweeps_the_others(pair, charon, on_node) -> None:
    good, bad = pair
    converge.sweep_router(on_node.pk)
    _fresh(good, bad)
    assert (good.state, bad.state, bad.state_reason) == ("disconnected", "error", UNREADABLE)


@pytest.mark.django_db
def test_it_records_a_damaged_key_on_the_fast_push_and_reset(pair, charon) -> None:
    _, bad = pair
    CustomerGateway.objects.filter(pk=bad.customer_gateway_id).update(psk_encrypted="damaged")
    converge.push_connection(bad.pk)
    _fresh(bad)
    assert (bad.state, bad.state_reason) == ("error", UNREADABLE)
    converge.reset_connection(bad.pk)
    assert charon.ops == []


@pytest.mark.django_db
def test_it_pushes_it_again_once_its_key_can_be_read(pair, charon, on_node) -> None:
    _, bad = pair
    router_id = on_node.pk
    converge.reconcile_router(router_id)
    bad.customer_gateway.set_psk(PSK)  # the tenant enters the key again
    bad.customer_gateway.save()
    converge.reconcile_router(router_id)
    _fresh(bad)
    assert bad.pushed_fingerprint and bad.state_reason != UNREADABLE
    assert ("load_shared", f"psk-vpn-{bad.pk}") in charon.ops
