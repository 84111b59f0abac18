"""Acceptance 1 of the operating issue, in one walk as the tenant sees it, against the whole
product (live server, the nodes' agents and workers, the portal's worker and beat, the lab's
charons) with a real SMTP server and a real HTTP receiver: the customer site of a Connected
connection stops and starts again; the open page follows without a reload, one alert and one
recovery arrive by email and by signed webhook, and the detail page's timeline and availability
bar show the incident with its reason.
"""

import json
import re
import time

import pytest
from playwright.sync_api import Page, expect

from alerts import webhook
from lab.sites import site_name, sync_site
from lab.world import world
from portal.models import User
from tests.browser.conftest import log_in, mark_document, spoken, still_same_document
from tests.e2e.helpers import (
    add_connection,
    alert_receivers,
    customer,
    lab_vpc,
    portal_client,
    wait_state,
)
from tests.stack import needs_lab, wait_for
from vpn.models import ConnectionEvent

pytestmark = [
    pytest.mark.browser,
    pytest.mark.lab,
    needs_lab(),
    pytest.mark.usefixtures("stack_logs_on_failure"),
]

CHANGE_TIMEOUT_MS = 30_000  # the monitor sees a site's charon stop or come back in seconds
ALERT_TIMEOUT = 30.0  # a "minute" is 2 s in the stack; the scan runs every second
QUIET = 4.0  # seconds (several scans) after the recovery with no further message


def test_it_walks_an_incident_from_the_open_page_to_the_alerts_and_the_timeline(
    lab, page: Page, alice: User, pool
) -> None:
    with alert_receivers(alice) as (inbox, hook, secret):
        vpc, hq = lab_vpc(alice), customer(alice)
        connection = add_connection(portal_client(alice), vpc, hq)
        wait_state(connection, "connected")

        # The gateway's VPN Connection tab, open on a Connected connection.
        log_in(page, alice)
        page.goto(connection.gateway.get_absolute_url() + "?tab=connections")
        row = page.locator(f"#connection-{connection.pk}")
        status = row.locator(".status")
        expect(status).to_have_attribute("data-state", "connected")
        mark_document(page)
        navigations: list[str] = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))

        # The customer's device stops: the row turns Disconnected in the open page.
        world().stop_charon(site_name(hq.pk))
        expect(status).to_have_attribute("data-state", "disconnected", timeout=CHANGE_TIMEOUT_MS)
        assert spoken(status) == "Disconnected"
        down = ConnectionEvent.objects.filter(connection=connection, kind="down").latest("at")
        wait_for(
            lambda: inbox.messages and hook.received,
            timeout=ALERT_TIMEOUT,
            what=lambda: "the down alert by email and webhook",
        )

        # The device starts again: the row turns Connected in the same page.
        world().start_charon(site_name(hq.pk))
        sync_site(hq)  # the device boots with its configuration
        expect(status).to_have_attribute("data-state", "connected", timeout=CHANGE_TIMEOUT_MS)
        assert spoken(status) == "Connected"
        assert still_same_document(page), "the page was reloaded"
        assert navigations == [], f"the page navigated: {navigations}"
        wait_for(
            lambda: len(inbox.messages) >= 2 and len(hook.received) >= 2,
            timeout=ALERT_TIMEOUT,
            what=lambda: "the recovery by email and webhook",
        )
        recovered = time.monotonic()

        # The connection's name leads to its detail page: the timeline, newest first.
        row.get_by_role("link", name="hq", exact=True).click()
        page.wait_for_url(f"**{connection.get_detail_url()}")
        up = ConnectionEvent.objects.filter(connection=connection, kind="up").latest("at")
        assert down.reason and up.reason and down.at < up.at
        events = page.locator("#connection-timeline tbody tr")
        expect(events.first).to_have_class(re.compile(r"\bevent-up\b"))
        expect(events.first).to_contain_text("Up")
        expect(events.first).to_contain_text(up.reason)
        # Between the two the router may have met the site's charon before its configuration
        # was loaded (an Error row); the drop is there below the recovery, with its reason.
        dropped = events.filter(has_text=down.reason).and_(page.locator("tr.event-down"))
        expect(dropped).to_have_count(1)
        expect(dropped).to_contain_text("Down")
        expect(dropped).to_contain_text("Disconnected")

        # The 24-hour bar draws the gap, and its text alternative says when and why, ended.
        caption = page.get_by_text("Last 24 h", exact=True)
        day = page.locator("#connection-charts figure").filter(has=caption)
        bar = day.locator("svg.availability-bar")
        text = bar.get_attribute("aria-label") or ""
        assert re.search(r"; down \d+ times?: ", text), text
        gap = rf"\d\d:\d\d\u2013\d\d:\d\d \({re.escape(down.reason.rstrip('.'))}\)"
        assert re.search(gap, text), f"no ended gap for {down.reason!r} in {text!r}"
        expect(day.locator(".chart-text")).to_have_text(text)
        expect(bar.locator("rect.bar-down title", has_text=down.reason)).to_have_count(1)

        time.sleep(max(0.0, QUIET - (time.monotonic() - recovered)))  # nothing more follows

    assert len(inbox.messages) == 2
    assert "down" in inbox.messages[0]["Subject"]
    assert "Recovered" in inbox.messages[1]["Subject"]
    bodies = [json.loads(post.body) for post in hook.received]
    assert [body["kind"] for body in bodies] == ["down", "recovered"]
    assert all([c["id"] for c in body["connections"]] == [connection.pk] for body in bodies)
    for post in hook.received:
        timestamp = int(post.headers[webhook.TIMESTAMP_HEADER])
        assert webhook.verify(secret, timestamp, post.body, post.headers[webhook.SIGNATURE_HEADER])
