"""A router's connections changed in bulk (its charon died or stopped answering, it answers
again) beside the monitor's batch of the same router: both lock the rows in id order, so one
waits for the other instead of the two deadlocking (found in the bench: PostgreSQL aborted the
agent's supervision with "deadlock detected", and the agent exited).

Two real PostgreSQL sessions. The first plays the monitor's batch half-way: it holds the lowest
id's row, as agent.record.update_rows does before it takes the next. The row of that id was
rewritten before, so on disk it comes after the others, the order a bare UPDATE takes them in
when it scans the table (as PostgreSQL chose to with a router's thousand rows; forced here).
While the bulk change waits for that row, it must hold no other: the batch then takes the
highest id at once (NOWAIT); the old bare UPDATE held it and the batch would wait forever (a
deadlock, here an error). The timeline events are left out (a no-op): in the old code they were
written in a transaction of their own before the UPDATE, which would hide the UPDATE's order."""

from __future__ import annotations

import pytest
from django.db import connection as db

from agent import converge
from network.models import Router
from tests.locks import interleave
from tests.vpn.conftest import make_cgw
from vpn import history
from vpn.choices import ConnectionState
from vpn.models import ConnectionEvent, VpnConnection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rows(on_node: Router, gateway, alice) -> list[int]:  # type: ignore[no-untyped-def]
    ids = [
        VpnConnection.objects.create(
            gateway=gateway,
            customer_gateway=make_cgw(
                alice.account, name=f"site{i}", ip=f"203.0.113.{10 + i}", cidrs=f"10.9{i}.0.0/16"
            ),
            state=ConnectionState.CONNECTED,
        ).pk
        for i in range(3)
    ]
    # Rewrite the lowest id's row: its new version goes after the others on disk.
    VpnConnection.objects.filter(pk=ids[0]).update(state_reason="rewritten")
    return ids


@pytest.mark.parametrize(
    "bulk_change",
    [
        pytest.param(
            lambda router: converge.mark_unreachable(router, RuntimeError("gone")), id="down"
        ),
        pytest.param(converge.mark_reachable, id="back"),
    ],
)
def test_a_bulk_change_waits_in_id_order_beside_the_monitors_batch(
    rows: list[int], on_node: Router, bulk_change, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    if bulk_change is converge.mark_reachable:  # its rows: those marked down before
        converge.mark_unreachable(on_node, RuntimeError("gone"))
        Router.objects.filter(pk=on_node.pk).update(state="unreachable")
        on_node.refresh_from_db()
    monkeypatch.setattr(history, "record_events", lambda *args, **kwargs: None)
    took_the_last: list[bool] = []

    def lock(pk: int, *, nowait: bool = False) -> None:
        sql = "SELECT id FROM vpn_vpnconnection WHERE id = %s FOR NO KEY UPDATE"
        with db.cursor() as cursor:
            cursor.execute(sql + (" NOWAIT" if nowait else ""), [pk])

    def bulk() -> None:
        with db.cursor() as cursor:  # the plans of a table of a thousand rows: a heap scan
            cursor.execute("SET enable_indexscan = off")
            cursor.execute("SET enable_bitmapscan = off")
        bulk_change(Router.objects.get(pk=on_node.pk))

    def then_the_last() -> None:
        lock(rows[-1], nowait=True)
        took_the_last.append(True)

    errors = interleave(lambda: lock(rows[0]), bulk, then=then_the_last)
    assert errors == []
    assert took_the_last == [True]
    states = set(VpnConnection.objects.filter(pk__in=rows).values_list("state", flat=True))
    expected = ConnectionState.ERROR if bulk_change is not converge.mark_reachable else "pending"
    assert states == {expected}


def test_a_bulk_change_records_an_event_for_each_row_it_changed(
    rows: list[int], on_node: Router
) -> None:
    VpnConnection.objects.filter(pk=rows[1]).update(
        state=ConnectionState.ERROR, state_reason=converge.ROUTER_DOWN
    )  # already said: not changed again
    converge.mark_unreachable(on_node, RuntimeError("gone"))
    marked = ConnectionEvent.objects.filter(connection_id__in=rows, state=ConnectionState.ERROR)
    assert sorted(marked.values_list("connection_id", flat=True)) == [rows[0], rows[2]]
