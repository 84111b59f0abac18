"""Live pages in a real Chromium: a state change the agent records reaches the open page at once,
through the event stream, with no polling request before or after it."""

import time

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import log_in
from tests.state_changes import record_state
from tests.vpn.conftest import make_cgw
from vpn.actions import create_gateway
from vpn.models import VpnConnection

pytestmark = pytest.mark.browser

IDLE_SECONDS = 2.0  # long enough that a 1 s poll would have shown


def test_it_shows_a_recorded_state_change_on_an_open_page_within_a_second(
    page: Page, alice, vpc
) -> None:  # type: ignore[no-untyped-def]
    gateway = create_gateway(vpc)[0]
    connection = VpnConnection.objects.create(
        gateway=gateway, customer_gateway=make_cgw(alice.account), state="pending"
    )
    log_in(page, alice)
    refreshes: list[str] = []

    def count(request: Request) -> None:
        if "fragment=connections" in request.url:
            refreshes.append(request.url)

    page.on("request", count)
    with page.expect_response(lambda response: "/network/events/" in response.url):
        page.goto(gateway.get_absolute_url() + "?tab=connections")
    row = page.locator(f"#connection-{connection.pk}")
    expect(row).to_contain_text("Pending")
    time.sleep(IDLE_SECONDS)  # an idle page asks for nothing
    assert refreshes == []

    started = time.monotonic()
    record_state(connection, "connected")
    expect(row).to_contain_text("Connected", timeout=1_000)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0
    assert len(refreshes) == 1  # the one refresh the change asked for
