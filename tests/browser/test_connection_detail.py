"""The connection detail page in a real Chromium: no CSP or console error (the charts are
server-side SVG, no script), and no serious accessibility violation (axe-core)."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from portal.models import User
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import _violations, axe_page  # noqa: F401 - the fixture
from tests.vpn.conftest import make_cgw
from vpn import history
from vpn.actions import create_connection, create_gateway
from vpn.models import TrafficSample

pytestmark = pytest.mark.browser


def test_it_shows_the_history_without_errors_or_serious_violations(
    axe_page: Page,  # noqa: F811 - the fixture imported above
    alice: User,
    vpc,  # type: ignore[no-untyped-def]
) -> None:
    connection = create_connection(create_gateway(vpc)[0], make_cgw(alice.account), passive=False)
    now = timezone.now()
    for hours, kind, state, reason in (
        (30, "up", "connected", "Connected to 203.0.113.10."),
        (5, "down", "disconnected", "The tunnel went down; trying to reach 203.0.113.10 again."),
        (4.8, "up", "connected", "Connected to 203.0.113.10."),
    ):
        history.record_event(
            connection.pk, kind, state=state, reason=reason, at=now - timedelta(hours=hours)
        )
    for minutes in range(0, 600, 10):
        TrafficSample.objects.create(
            connection=connection,
            at=now - timedelta(minutes=600 - minutes),
            bytes_in=minutes * 40_000,
            bytes_out=minutes * 9_000,
        )
    page = axe_page
    log_in(page, alice)
    page.goto(connection.get_detail_url())
    assert "down 2 times" in page.locator("#connection-charts").inner_text()
    assert page.locator("#connection-timeline tbody tr").count() == 4
    if os.environ.get("HISTORY_SCREENSHOT"):
        page.screenshot(path=os.environ["HISTORY_SCREENSHOT"], full_page=True)
    found = _violations(page, "connection detail")
    assert not found, "axe found serious or critical violations:\n" + "\n".join(found)
