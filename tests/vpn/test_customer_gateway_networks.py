"""A customer gateway's remote networks as rows (vpn/models/networks.py): they follow its CIDR
list on every write, and on PostgreSQL their GiST index finds the connections of a VPN gateway
that may clash with a new one."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.vpn.conftest import make_cgw
from vpn.actions import create_connection, save_customer_gateway
from vpn.models import CustomerGateway

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(gateway, alice):  # type: ignore[no-untyped-def]
    """Connected: 192.168.10.0/24 and 10.50.0.0/16 at 203.0.113.10."""
    cgw = make_cgw(alice.account, cidrs="192.168.10.0/24, 10.50.0.0/16")
    create_connection(gateway, cgw, passive=False)
    return cgw


def _networks(cgw: CustomerGateway) -> list[str]:
    return sorted(cgw.networks.values_list("network", flat=True))


def test_it_keeps_a_row_for_each_network_of_its_list(alice, pool) -> None:
    cgw = make_cgw(alice.account, cidrs="192.168.10.0/24, 10.50.0.0/16")
    assert _networks(cgw) == ["10.50.0.0/16", "192.168.10.0/24"]
    cgw.cidr_list = "10.50.0.0/16, 172.16.0.0/12"
    save_customer_gateway(cgw, account=alice.account, psk="")
    assert _networks(cgw) == ["10.50.0.0/16", "172.16.0.0/12"]


def test_it_writes_the_rows_of_gateways_made_in_bulk(alice) -> None:
    made = CustomerGateway.objects.bulk_create(
        [
            CustomerGateway(
                account=alice.account,
                name=f"cg-{n}",
                gateway_ip=f"203.0.113.{n}",
                cidr_list=f"172.16.{n}.0/24",
                psk_encrypted="x",
            )
            for n in (1, 2)
        ]
    )
    assert [_networks(cgw) for cgw in made] == [["172.16.1.0/24"], ["172.16.2.0/24"]]


def test_it_reads_a_list_from_before_the_rules_leniently(alice, pool) -> None:
    cgw = make_cgw(alice.account)
    CustomerGateway.objects.filter(pk=cgw.pk).update(cidr_list="192.168.1.5/24, banana")
    cgw.refresh_from_db()
    cgw.save()
    assert _networks(cgw) == ["192.168.1.0/24"]  # its network; what does not parse is left out


@pytest.mark.django_db(transaction=True)
def test_the_migration_writes_the_rows_of_existing_gateways(alice) -> None:
    """vpn 0008 backwards (the table goes) and forwards again (a gateway's rows are written)."""
    before, after = (
        [("vpn", "0007_connection_history")],
        [("vpn", "0008_customer_gateway_networks")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("vpn", "CustomerGateway").objects.create(
        account_id=alice.account_id,
        name="old",
        gateway_ip="203.0.113.7",
        cidr_list="192.168.1.0/24, 10.0.0.0/8",
        psk_encrypted="x",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    assert _networks(CustomerGateway.objects.get(name="old")) == ["10.0.0.0/8", "192.168.1.0/24"]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the overlap operator is PostgreSQL's"
)
def test_it_finds_by_index_only_the_connections_that_may_clash(gateway, alice, hq) -> None:
    branch = make_cgw(alice.account, name="branch", ip="203.0.113.20", cidrs="192.168.20.0/24")
    create_connection(gateway, branch, passive=False)
    clashing = gateway.connections.sharing_addresses
    by_network = clashing(["192.168.20.128/25"], "203.0.113.99")
    by_ip = clashing(["172.31.0.0/16"], "203.0.113.10")
    assert [c.customer_gateway for c in by_network] == [branch]
    assert [c.customer_gateway for c in by_ip] == [hq]
    assert not clashing(["192.168.11.0/24", "10.51.0.0/16"], "203.0.113.99").exists()
