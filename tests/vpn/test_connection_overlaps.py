"""The address rules of one VPN gateway's connections (vpn/rules.py): no two customer gateways
with overlapping remote networks or the same IP. PostgreSQL finds the few that may clash by
index (a GiST index of the networks, `&&`); the demo's SQLite compares every connection. Each
case runs both ways ("index" and "scan") and must say the same."""

import pytest
from django.core.exceptions import ValidationError

from tests.network.test_scheduler import _vpc
from tests.vpn.conftest import make_cgw
from vpn.actions import create_connection, create_gateway, save_customer_gateway
from vpn.models import VpnConnection
from vpn.models.connections import VpnConnectionQuerySet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["index", "scan"])
def way(request, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    """ "index" as the database can ("scan" without PostgreSQL); "scan" as on SQLite."""
    if request.param == "scan":
        monkeypatch.setattr(VpnConnectionQuerySet, "sharing_addresses", lambda qs, *_: qs)
    return str(request.param)


@pytest.fixture
def hq(gateway, alice):  # type: ignore[no-untyped-def]
    """Connected: 192.168.10.0/24 and 10.50.0.0/16 at 203.0.113.10."""
    cgw = make_cgw(alice.account, cidrs="192.168.10.0/24, 10.50.0.0/16")
    create_connection(gateway, cgw, passive=False)
    return cgw


def _refusal(gateway, account, **fields: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What adding a new customer gateway with ``fields`` to ``gateway`` is refused with."""
    values = {"name": "branch", "ip": "203.0.113.20", "cidrs": "192.168.20.0/24", **fields}
    cgw = make_cgw(account, **values)
    try:
        create_connection(gateway, cgw, passive=False)
    except ValidationError as error:
        return error.message_dict["customer_gateway"]
    return []


def test_it_adds_a_network_adjacent_to_another(gateway, alice, hq) -> None:
    assert _refusal(gateway, alice.account, cidrs="192.168.11.0/24, 192.168.9.0/24") == []
    assert VpnConnection.objects.filter(gateway=gateway).count() == 2


@pytest.mark.parametrize(
    ("cidrs", "net", "other"),
    [
        ("192.168.0.0/16", "192.168.0.0/16", "192.168.10.0/24"),  # contains it
        ("192.168.10.128/25", "192.168.10.128/25", "192.168.10.0/24"),  # inside it
        ("192.168.10.0/24", "192.168.10.0/24", "192.168.10.0/24"),  # the same
        ("172.16.0.0/24, 10.50.7.0/24", "10.50.7.0/24", "10.50.0.0/16"),  # its second network
    ],
)
def test_it_refuses_an_overlapping_network(gateway, alice, hq, cidrs, net, other) -> None:
    assert _refusal(gateway, alice.account, cidrs=cidrs) == [
        f"Remote network {net} overlaps {other} of customer gateway hq, "
        "already connected to this VPN gateway."
    ]
    assert VpnConnection.objects.filter(gateway=gateway).count() == 1


def test_it_says_every_overlap_and_the_same_ip_in_order(gateway, alice, hq) -> None:
    refusal = _refusal(
        gateway, alice.account, ip="203.0.113.10", cidrs="10.48.0.0/12, 192.168.10.0/24"
    )
    assert refusal == [
        "Customer gateway hq with the same IP 203.0.113.10 is already connected to this VPN "
        "gateway.",
        "Remote network 10.48.0.0/12 overlaps 10.50.0.0/16 of customer gateway hq, already "
        "connected to this VPN gateway.",
        "Remote network 192.168.10.0/24 overlaps 192.168.10.0/24 of customer gateway hq, "
        "already connected to this VPN gateway.",
    ]


def test_it_refuses_the_same_peer_ip(gateway, alice, hq) -> None:
    assert _refusal(gateway, alice.account, ip="203.0.113.10") == [
        "Customer gateway hq with the same IP 203.0.113.10 is already connected to this VPN "
        "gateway."
    ]


def test_it_minds_only_the_connections_of_this_vpn_gateway(alice, pool, hq) -> None:
    other_gateway = create_gateway(_vpc(alice.account, 2))[0]  # 10.2.0.0/16
    assert _refusal(other_gateway, alice.account, ip="203.0.113.10", cidrs="192.168.10.0/24") == []


def test_it_does_not_hold_a_connection_against_itself(gateway, hq) -> None:
    connection = VpnConnection.objects.get(gateway=gateway, customer_gateway=hq)
    connection.full_clean()  # its own networks and IP are no clash


def test_an_edit_is_checked_without_its_own_connection(gateway, alice, hq) -> None:
    hq.cidr_list = "192.168.10.0/23"  # contains what it had: no clash with itself
    save_customer_gateway(hq, account=alice.account, psk="")
    assert _refusal(gateway, alice.account, cidrs="192.168.11.0/24") == [
        "Remote network 192.168.11.0/24 overlaps 192.168.10.0/23 of customer gateway hq, "
        "already connected to this VPN gateway."
    ]


def test_an_edit_into_another_connections_network_is_refused(gateway, alice, hq) -> None:
    branch = make_cgw(alice.account, name="branch", ip="203.0.113.20", cidrs="192.168.20.0/24")
    create_connection(gateway, branch, passive=False)
    branch.cidr_list = "192.168.10.64/26"
    with pytest.raises(ValidationError) as refused:
        save_customer_gateway(branch, account=alice.account, psk="")
    assert refused.value.message_dict["cidr_list"] == [
        "Remote network 192.168.10.64/26 overlaps 192.168.10.0/24 of customer gateway hq, "
        "already connected to this VPN gateway."
    ]


def test_it_checks_the_networks_a_gateway_has_now(gateway, alice, hq) -> None:
    hq.cidr_list = "192.168.30.0/24"
    save_customer_gateway(hq, account=alice.account, psk="")
    assert _refusal(gateway, alice.account, cidrs="192.168.10.0/24, 10.50.0.0/16") == []
    assert _refusal(gateway, alice.account, name="dc", ip="203.0.113.30", cidrs="192.168.30.0/24")
