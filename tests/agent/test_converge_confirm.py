"""A sweep or reconcile that catches charon between two IKE SAs of a Connected connection (both
ends initiated; one replaces the other) looks again before it records anything."""

from collections import OrderedDict
from contextlib import contextmanager

import pytest

from agent import converge
from tests.vpn.test_sas import CONNECTING, SPEC, child, ike
from vpn.models import VpnConnection
from vpn.strongswan.sas import parse_sas


def _renamed(message: OrderedDict, name: str) -> OrderedDict:  # type: ignore[type-arg]
    return OrderedDict((name, body) for body in message.values())


@pytest.fixture
def connected(on_node, gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw, state="connected")


@pytest.fixture
def second_look(monkeypatch):  # type: ignore[no-untyped-def]
    """What charon shows on the second look, and how many looks were taken."""
    looks: list[int] = []
    shown: list[list] = [[]]  # type: ignore[type-arg]

    @contextmanager
    def session(uri: str, timeout: float = 5.0):  # type: ignore[no-untyped-def]
        yield object()

    def list_sas(session: object, only: int) -> list:  # type: ignore[type-arg]
        looks.append(only)
        return shown[0]

    monkeypatch.setattr(converge, "open_session", session)
    monkeypatch.setattr(converge, "_list_sas", list_sas)
    monkeypatch.setattr(converge, "CONFIRM_DOWN_AFTER", 0)
    return looks, shown


def _observe(connection: VpnConnection, first: OrderedDict, router) -> None:  # type: ignore[no-untyped-def,type-arg]
    name = f"vpn-{connection.pk}"
    spec = SPEC.__class__(**{**SPEC.__dict__, "connection_id": connection.pk})
    converge.observe(
        [connection], {connection.pk: spec}, parse_sas([_renamed(first, name)]), router=router
    )


@pytest.mark.django_db
def test_it_stays_connected_when_the_second_look_finds_the_tunnel_up(
    connected, on_node, second_look
) -> None:
    looks, shown = second_look
    name = f"vpn-{connected.pk}"
    up = ike(children=[child(name, 1, ["10.2.0.0/24", "10.3.0.0/24"])])
    shown[0] = parse_sas([_renamed(up, name)])
    _observe(connected, CONNECTING, on_node)
    connected.refresh_from_db()
    assert connected.state == "connected"
    assert looks == [connected.pk]


@pytest.mark.django_db
def test_it_records_the_drop_when_the_second_look_agrees(connected, on_node, second_look) -> None:
    _, shown = second_look
    shown[0] = parse_sas([_renamed(CONNECTING, f"vpn-{connected.pk}")])
    _observe(connected, CONNECTING, on_node)
    connected.refresh_from_db()
    assert connected.state == "disconnected"
    assert "negotiating again" in connected.state_reason
