"""Acceptance: a connection's timeline records a real drop and recovery, with the reason, as
written by the node's agent (through its own database role) and shown on the detail page."""

import pytest
from django.urls import reverse

from lab.sites import site_name, sync_site
from lab.world import world
from tests.e2e.helpers import add_connection, customer, lab_vpc, portal_client, wait_state
from vpn.models import ConnectionEvent

pytestmark = [pytest.mark.lab]


def test_it_shows_the_drop_with_its_reason_and_the_recovery(lab, alice, pool) -> None:
    vpc, cgw = lab_vpc(alice), customer(alice)
    client = portal_client(alice)
    connection = add_connection(client, vpc, cgw)
    wait_state(connection, "connected")
    world().stop_charon(site_name(cgw.pk))
    wait_state(connection, "disconnected", timeout=60)
    world().start_charon(site_name(cgw.pk))
    sync_site(cgw)
    wait_state(connection, "connected", timeout=20)

    events = ConnectionEvent.objects.filter(connection=connection).order_by("at", "id")
    kinds = [e.kind for e in events]
    assert "configured" in kinds
    down = [e for e in events if e.kind == "down"][-1]  # the site's stop
    assert down.reason and down.state == "disconnected"
    assert kinds[-2:] == ["down", "up"] and events[len(kinds) - 2].pk == down.pk
    assert "up" in kinds[:-2]  # it was up before the stop

    body = client.get(reverse("vpn:connection-detail", args=[connection.pk])).content.decode()
    timeline = body[body.index('id="connection-timeline"') :]
    assert down.reason in timeline and ">Down<" in timeline and ">Up<" in timeline
    assert "of the last 24 h; down " in body  # the stop (setting it up is no outage)
    print(f"\ntimeline: {kinds}; down because: {down.reason}")
