"""Acceptance: a customer site stopped past the account's threshold brings one email and one
signed webhook, sent by the portal's own worker and beat; started again, one recovery each."""

from __future__ import annotations

import json
import time

import pytest

from alerts import webhook
from lab.sites import site_name, sync_site
from lab.world import world
from tests.e2e.helpers import (
    add_connection,
    alert_receivers,
    customer,
    lab_vpc,
    portal_client,
    wait_state,
)
from tests.stack import wait_for

pytestmark = [pytest.mark.lab]
QUIET = 4.0  # seconds (several scans) to be sure no second message follows


def test_it_sends_one_alert_and_one_recovery_by_email_and_webhook(lab, alice, pool) -> None:  # type: ignore[no-untyped-def]
    with alert_receivers(alice) as (inbox, hook, secret):
        vpc, cgw = lab_vpc(alice), customer(alice)
        connection = add_connection(portal_client(alice), vpc, cgw)
        wait_state(connection, "connected")

        world().stop_charon(site_name(cgw.pk))
        wait_state(connection, "disconnected", timeout=60)
        wait_for(
            lambda: len(inbox.messages) >= 1 and len(hook.received) >= 1,
            timeout=30,
            what=lambda: "the down alert by email and webhook",
        )
        world().start_charon(site_name(cgw.pk))
        sync_site(cgw)
        wait_state(connection, "connected", timeout=30)
        wait_for(
            lambda: len(inbox.messages) >= 2 and len(hook.received) >= 2,
            timeout=30,
            what=lambda: "the recovery by email and webhook",
        )
        time.sleep(QUIET)

    bodies = [json.loads(post.body) for post in hook.received]
    assert [body["kind"] for body in bodies] == ["down", "recovered"]
    assert [c["id"] for c in bodies[0]["connections"]] == [connection.pk]
    assert len(inbox.messages) == 2
    assert "down" in inbox.messages[0]["Subject"]
    assert "Recovered" in inbox.messages[1]["Subject"]
    for post in hook.received:
        timestamp = int(post.headers[webhook.TIMESTAMP_HEADER])
        assert webhook.verify(secret, timestamp, post.body, post.headers[webhook.SIGNATURE_HEADER])
