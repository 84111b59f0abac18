"""The user guide's seven steps in a real Chromium against the whole product: the live server, a
real Celery worker and VICI monitor, and the lab's charons (a VPC router and a customer site). The
indicator on the open page follows the real tunnel: Connected, then Disconnected when the
customer's device stops, without a reload.
"""

import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, expect

from lab.sites import site_name
from lab.world import world
from portal.models import User
from tests.browser.conftest import log_in, mark_document, spoken, still_same_document
from tests.e2e.helpers import (
    add_connection,
    customer,
    lab_vpc,
    ping_from_site,
    portal_client,
    router_sas,
    site_sas,
    wait_state,
)
from tests.stack import NODES, Stack, needs_lab
from vpn.models import VpnConnection, VpnGateway

pytestmark = [
    pytest.mark.browser,
    pytest.mark.lab,
    needs_lab(),
    pytest.mark.usefixtures("stack_logs_on_failure"),
]

TUNNEL_TIMEOUT_MS = 15_000  # the tunnel takes about a second; the page polls every second


@contextmanager
def worker_paused(stack: Stack) -> Iterator[None]:
    """Hold every node's Celery worker (SIGSTOP) so that nothing the portal enqueues runs until
    the block ends: the page is then certainly showing the state before the tunnel. The agents
    themselves go on heartbeating."""
    pids = [pid for node in NODES for pid in stack.nodes.worker_pids(node)]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def test_it_walks_the_seven_steps_to_a_connected_tunnel(
    lab, stack: Stack, page: Page, alice: User, pool
) -> None:
    vpc = lab_vpc(alice)
    hq = customer(alice)  # a customer gateway with its device running in the lab

    # 1. Log in; Network → VPC; the account's VPCs; click a VPC's name.
    log_in(page, alice)
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav).to_contain_text("Network")
    nav.get_by_role("link", name="VPC", exact=True).click()
    vpcs = page.get_by_role("table", name="VPCs")
    vpcs.get_by_role("link", name="prod").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("prod")

    # 2. Configure opens the VPC Configuration Dashboard.
    page.get_by_role("link", name="Configure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("VPC Configuration Dashboard: prod")

    # 3. Router → Site-to-Site VPN Lists; the confirm dialog; OK creates the gateway.
    page.get_by_role("region", name="Router").get_by_role(
        "link", name="Site-to-Site VPN Lists"
    ).click()
    confirm = page.get_by_role("dialog", name="Create VPN gateway")
    expect(confirm).to_contain_text("Please confirm to create S2S VPN gateway for this VPC.")
    confirm.get_by_role("button", name="OK").click()

    # 4. The VPN Gateway Configuration Page, on the VPC's default Source NAT IP.
    page.wait_for_url(re.compile(r"/network/vpn-gateways/\d+/$"))
    source_nat_ip = vpc.router.source_nat_ip.address
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"VPN Gateway Configuration: {source_nat_ip}"
    )
    gateway = VpnGateway.objects.get(vpc=vpc)
    assert gateway.public_ip == source_nat_ip

    # 5. The VPN Connection tab; Add.
    page.get_by_role("tab", name="VPN Connection").click()
    expect(page.get_by_role("tab", name="VPN Connection")).to_have_attribute(
        "aria-selected", "true"
    )
    page.get_by_role("link", name="Add").click()

    # 6. Pick the Customer Gateway from the drop-down; OK.
    add = page.get_by_role("dialog", name="Add VPN connection")
    add.get_by_label("Customer Gateway").select_option(label="hq (203.0.113.10)")
    mark_document(page)
    with worker_paused(stack):
        add.get_by_role("button", name="OK").click()
        expect(add).to_have_count(0)  # the dialog closes on the tab, which stays
        expect(page.get_by_role("status")).to_contain_text("VPN connection to hq added.")
        connection = VpnConnection.objects.get(gateway=gateway, customer_gateway=hq)
        status = page.locator(f"#connection-{connection.pk} .status")
        expect(status).to_have_attribute("data-state", "pending")

    # 7. The status turns Connected in the open page, and the tunnel is real.
    expect(status).to_have_attribute("data-state", "connected", timeout=TUNNEL_TIMEOUT_MS)
    assert spoken(status) == "Connected"  # words, not colour alone
    assert still_same_document(page), "the page was reloaded or navigated away"
    [ike] = [sa for sa in router_sas(vpc) if sa.name == f"vpn-{connection.pk}"]
    assert ike.state == "ESTABLISHED" and ike.children[0].state == "INSTALLED"
    [peer] = site_sas(hq)
    assert peer.state == "ESTABLISHED"
    assert ping_from_site(hq, vpc), "no traffic through the tunnel"


def test_it_turns_disconnected_when_the_customer_site_stops(
    lab, page: Page, alice: User, pool
) -> None:
    vpc = lab_vpc(alice)
    hq = customer(alice)
    connection = add_connection(portal_client(alice), vpc, hq)
    wait_state(connection, "connected")
    log_in(page, alice)
    page.goto(connection.gateway.get_absolute_url() + "?tab=connections")
    status = page.locator(f"#connection-{connection.pk} .status")
    expect(status).to_have_attribute("data-state", "connected")
    mark_document(page)

    world().stop_charon(site_name(hq.pk))

    expect(status).to_have_attribute("data-state", "disconnected", timeout=TUNNEL_TIMEOUT_MS)
    assert spoken(status) == "Disconnected"
    assert still_same_document(page), "the page was reloaded or navigated away"
