"""Races on PostgreSQL, as concurrent requests: each thread has its own database connection
and its own browser session, and all start together at a barrier. Each race ends in one
consistent outcome, says so clearly, and never answers 500.

Left alone, two requests rarely overlap inside the few milliseconds between a check and its
write. So each request also pauses at its first write to the database (a pre_save or
pre_delete signal, whatever the model) until the other request has reached its own first
write, or PACE seconds have passed: both checks then run before either write, which is the
interleaving a race needs. Locks that serialise the two requests make one of them wait before
its check, and the other goes on after PACE.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connections
from django.db.models.signals import pre_delete, pre_save
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from network.actions import add_tier
from network.models import Vpc
from tests.hostile.conftest import client_of
from tests.hostile.world import cgw_with_canary
from vpn.actions import create_connection
from vpn.forms import CustomerGatewayForm
from vpn.models import CustomerGateway, VpnConnection, VpnGateway

pytestmark = pytest.mark.django_db(transaction=True)
PACE = 1.0  # seconds a request waits at its first write for the other one
START = 10.0  # seconds the threads wait for each other at the start


@contextmanager
def paced(parties: int) -> Iterator[threading.local]:
    """While active, each racing thread (marked in the returned thread-local) waits at its
    first model write for the others."""
    racing = threading.local()
    meeting = threading.Barrier(parties, timeout=PACE)

    def first_write(sender: Any, **_: Any) -> None:
        if getattr(racing, "active", False) and not getattr(racing, "written", False):
            racing.written = True
            # Broken: the other request waits on a lock (or wrote nothing); go on.
            with contextlib.suppress(threading.BrokenBarrierError):
                meeting.wait()

    pre_save.connect(first_write, weak=False, dispatch_uid="hostile-race-pre-save")
    pre_delete.connect(first_write, weak=False, dispatch_uid="hostile-race-pre-delete")
    try:
        yield racing
    finally:
        pre_save.disconnect(dispatch_uid="hostile-race-pre-save")
        pre_delete.disconnect(dispatch_uid="hostile-race-pre-delete")


def race(*requests: Callable[[], HttpResponse]) -> list[HttpResponse]:
    """Run the requests in threads started together; a 500 (an exception the view let out)
    fails the test with its traceback."""
    results: list[Any] = [None] * len(requests)
    start = threading.Barrier(len(requests), timeout=START)
    with paced(len(requests)) as racing:

        def run(index: int, request: Callable[[], HttpResponse]) -> None:
            racing.active = True
            try:
                start.wait()
                results[index] = request()
            except BaseException as error:  # reported below, with the response of the other
                results[index] = error
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=run, args=(n, request), name=f"race-{n}")
            for n, request in enumerate(requests)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    errors = [result for result in results if isinstance(result, BaseException)]
    if errors:
        raise AssertionError(f"a racing request failed (HTTP 500): {errors[0]!r}") from errors[0]
    return results


def said(response: HttpResponse) -> str:
    """What the user is told: the page, and the messages queued for the next one."""
    queued = " ".join(str(message) for message in get_messages(response.wsgi_request))
    return response.content.decode() + " " + queued


def form_data(cgw: CustomerGateway, **changes: str) -> dict[str, str]:
    """The edit form as the browser would post it, unchanged but for `changes`."""
    data = {}
    for name in CustomerGatewayForm.base_fields:
        value = getattr(cgw, name, "")
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    data["psk"] = ""  # keep the key
    return {**data, **changes}


@pytest.fixture
def two_alices(alice) -> tuple[Client, Client]:  # type: ignore[no-untyped-def]
    return client_of(alice), client_of(alice)


def test_it_lets_one_of_an_edit_and_an_add_that_would_overlap_win(
    two_alices, alice, gateway, cgw
) -> None:  # type: ignore[no-untyped-def]
    create_connection(gateway, cgw, passive=False)  # hq: 192.168.10.0/24
    branch = cgw_with_canary(alice.account, "branch", "203.0.113.20", "192.168.20.0/24")
    editor, adder = two_alices

    edited, added = race(
        lambda: editor.post(
            reverse("vpn:customer-gateway-edit", args=[cgw.pk]),
            form_data(cgw, cidr_list="192.168.20.0/24"),
        ),
        lambda: adder.post(
            reverse("vpn:connection-add", args=[gateway.pk]), {"customer_gateway": branch.pk}
        ),
    )

    outcomes = sorted((edited.status_code, added.status_code))
    assert outcomes == [302, 422], outcomes
    loser = edited if edited.status_code == 422 else added
    assert "overlaps" in said(loser)
    remote = [c.customer_gateway.cidrs for c in VpnConnection.objects.filter(gateway=gateway)]
    flat = [cidr for cidrs in remote for cidr in cidrs]
    assert len(flat) == len(set(flat)), remote


def test_it_settles_a_delete_racing_an_add_of_the_same_customer_gateway(
    two_alices, alice, gateway
) -> None:  # type: ignore[no-untyped-def]
    branch = cgw_with_canary(alice.account, "branch", "203.0.113.20", "192.168.20.0/24")
    deleter, adder = two_alices

    deleted, added = race(
        lambda: deleter.post(reverse("vpn:customer-gateway-delete", args=[branch.pk])),
        lambda: adder.post(
            reverse("vpn:connection-add", args=[gateway.pk]), {"customer_gateway": branch.pk}
        ),
    )

    assert deleted.status_code == 302
    if CustomerGateway.objects.filter(pk=branch.pk).exists():  # the add won
        assert added.status_code == 302
        assert VpnConnection.objects.filter(customer_gateway=branch).count() == 1
        assert "used by VPN connections" in said(deleted)
    else:  # the delete won
        assert added.status_code == 422
        assert not VpnConnection.objects.exists()
        assert "deleted" in said(deleted)
        assert "no longer exists" in said(added) or "Select a valid choice" in said(added)


def test_it_creates_one_vpn_gateway_for_two_racing_confirms(two_alices, vpc) -> None:  # type: ignore[no-untyped-def]
    url = reverse("vpn:gateway-create", args=[vpc.pk])
    first, second = two_alices

    responses = race(lambda: first.post(url), lambda: second.post(url))

    [gateway] = VpnGateway.objects.filter(vpc=vpc)
    assert [r.status_code for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {gateway.get_absolute_url()}


def test_it_keeps_a_tier_when_both_of_a_vpcs_tiers_are_deleted_at_once(two_alices, vpc) -> None:  # type: ignore[no-untyped-def]
    add_tier(vpc=vpc, name="db", cidr="10.1.2.0/24")
    web, db = vpc.tiers.order_by("cidr")
    first, second = two_alices

    responses = race(
        lambda: first.post(reverse("network:tier-delete", args=[vpc.pk, web.pk])),
        lambda: second.post(reverse("network:tier-delete", args=[vpc.pk, db.pk])),
    )

    assert [r.status_code for r in responses] == [302, 302]
    assert vpc.tiers.count() == 1
    assert any("keeps at least one tier" in said(r) for r in responses)


def test_it_settles_a_vpc_delete_racing_the_vpn_gateway_confirm(two_alices, vpc) -> None:  # type: ignore[no-untyped-def]
    deleter, creator = two_alices

    deleted, created = race(
        lambda: deleter.post(reverse("network:vpc-delete", args=[vpc.pk])),
        lambda: creator.post(reverse("vpn:gateway-create", args=[vpc.pk])),
    )

    assert deleted.status_code == 302
    if Vpc.objects.filter(pk=vpc.pk).exists():  # the gateway won
        assert VpnGateway.objects.filter(vpc=vpc).count() == 1
        assert created.status_code == 302
        assert "attached" in said(deleted)
    else:  # the delete won
        assert not VpnGateway.objects.exists()
        assert "deleted" in said(deleted)
        assert created.status_code in (302, 404)


def test_it_settles_a_vpn_gateway_delete_racing_a_connection_add(
    two_alices, alice, gateway
) -> None:  # type: ignore[no-untyped-def]
    branch = cgw_with_canary(alice.account, "branch", "203.0.113.20", "192.168.20.0/24")
    deleter, adder = two_alices

    deleted, added = race(
        lambda: deleter.post(reverse("vpn:gateway-delete", args=[gateway.pk])),
        lambda: adder.post(
            reverse("vpn:connection-add", args=[gateway.pk]), {"customer_gateway": branch.pk}
        ),
    )

    assert deleted.status_code == 302
    if VpnGateway.objects.filter(pk=gateway.pk).exists():  # the add won
        assert added.status_code == 302
        assert VpnConnection.objects.filter(gateway=gateway).count() == 1
        assert "delete them first" in said(deleted)
    else:  # the delete won
        assert added.status_code in (404, 422)
        assert not VpnConnection.objects.exists()
