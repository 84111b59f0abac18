"""The user guide, clicked through in a real Chromium: VPC → Configure → Site-to-Site VPN Lists →
the confirm dialog → the VPN gateway page → VPN Connection → Add. Also by keyboard alone, and with
JavaScript switched off."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from network.models import Vpc
from portal.models import User
from tests.browser.conftest import BrowserProblems, log_in
from tests.state_changes import record_state
from tests.vpn.conftest import make_cgw
from vpn.models import CustomerGateway, VpnConnection, VpnGateway

pytestmark = pytest.mark.browser

QUESTION = "Please confirm to create S2S VPN gateway for this VPC."
VPN_LISTS = "Site-to-Site VPN Lists"


@pytest.fixture
def hq(alice: User) -> CustomerGateway:
    return make_cgw(alice.account, name="hq", ip="203.0.113.10")


def _configure(page: Page, alice: User, vpc: Vpc) -> None:
    log_in(page, alice)
    page.goto(f"/network/vpcs/{vpc.pk}/configure/")


def _confirm_dialog(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Create VPN gateway")


def _focus_escaped(page: Page, selector: str) -> str | None:
    """The focused element when it is on the page outside `selector` (not the browser's UI)."""
    return page.evaluate(
        """(selector) => {
          const active = document.activeElement;
          const inside = document.querySelector(selector).contains(active);
          return !active || active === document.body || inside ? null : active.outerHTML;
        }""",
        selector,
    )


def _focus_is_inside(page: Page, selector: str) -> bool:
    return page.evaluate(
        "(selector) => document.querySelector(selector).contains(document.activeElement)", selector
    )


def _focused_text(page: Page) -> str:
    return page.evaluate("() => document.activeElement.textContent.trim()")


def _tab_to(page: Page, name: str, *, limit: int = 40) -> None:
    """Press Tab until the focused element's text is `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused_text(page) == name:
            return
    raise AssertionError(f"{name!r} is not reachable with Tab in {limit} presses")


def test_it_walks_the_guide_by_clicking(
    page: Page, alice: User, vpc: Vpc, hq: CustomerGateway
) -> None:
    log_in(page, alice)

    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="VPC").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("VPC")
    expect(page.get_by_text("All VPC networks associated with your cloud account.")).to_be_visible()
    vpcs = page.get_by_role("table", name="VPCs")
    expect(vpcs.get_by_role("row")).to_have_count(2)  # header and prod

    vpcs.get_by_role("link", name="prod").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("prod")
    expect(page.get_by_text("10.1.0.0/16").first).to_be_visible()

    page.get_by_role("link", name="Configure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("VPC Configuration Dashboard: prod")
    router = page.get_by_role("region", name="Router")
    source_nat_ip = vpc.router.source_nat_ip.address
    expect(router).to_contain_text(source_nat_ip)

    router.get_by_role("link", name=VPN_LISTS).click()
    dialog = _confirm_dialog(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(QUESTION)
    expect(dialog.get_by_role("button", name="OK")).to_be_visible()
    expect(dialog.get_by_role("link", name="Cancel")).to_be_visible()
    assert not VpnGateway.objects.exists()  # asking creates nothing

    dialog.get_by_role("button", name="OK").click()
    page.wait_for_url(re.compile(r"/network/vpn-gateways/\d+/$"))
    gateway = VpnGateway.objects.get(vpc=vpc)
    assert gateway.public_ip == source_nat_ip
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"VPN Gateway Configuration: {source_nat_ip}"
    )

    page.get_by_role("tab", name="VPN Connection").click()
    expect(page.get_by_role("tab", name="VPN Connection")).to_have_attribute(
        "aria-selected", "true"
    )
    connections = page.get_by_role("table", name="VPN connections")
    expect(connections).to_contain_text("No VPN connections yet.")

    page.get_by_role("link", name="Add").click()
    add = page.get_by_role("dialog", name="Add VPN connection")
    expect(add).to_be_visible()
    choice = add.get_by_label("Customer Gateway")
    expect(choice).to_have_value("")
    expect(add.get_by_label("Passive")).not_to_be_checked()
    choice.select_option(label="hq (203.0.113.10)")
    add.get_by_role("button", name="OK").click()

    expect(page.get_by_role("status")).to_contain_text("VPN connection to hq added.")
    expect(page).to_have_url(re.compile(r"/network/vpn-gateways/\d+/\?tab=connections$"))
    connection = VpnConnection.objects.get(gateway=gateway, customer_gateway=hq)
    assert not connection.passive
    row = page.locator(f"#connection-{connection.pk}")
    expect(row).to_contain_text("hq")
    expect(row).to_contain_text("203.0.113.10")
    state = row.locator(".status")
    expect(state).to_have_attribute("data-state", "pending")
    expect(state).to_contain_text("Pending")  # the state is words, not colour alone


def test_it_creates_nothing_on_cancel(page: Page, alice: User, vpc: Vpc) -> None:
    _configure(page, alice, vpc)
    page.get_by_role("link", name=VPN_LISTS).click()
    dialog = _confirm_dialog(page)
    expect(dialog).to_be_visible()

    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"/network/vpcs/{vpc.pk}/configure/$"))
    assert not VpnGateway.objects.exists()


def test_it_creates_nothing_on_escape(page: Page, alice: User, vpc: Vpc) -> None:
    _configure(page, alice, vpc)
    page.get_by_role("link", name=VPN_LISTS).click()
    dialog = _confirm_dialog(page)
    expect(dialog).to_be_visible()

    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert not VpnGateway.objects.exists()
    page.get_by_role("link", name=VPN_LISTS).click()  # and it asks again
    expect(_confirm_dialog(page)).to_contain_text(QUESTION)
    assert not VpnGateway.objects.exists()


def test_it_goes_straight_to_the_gateway_the_second_time(page: Page, alice: User, vpc: Vpc) -> None:
    _configure(page, alice, vpc)
    page.get_by_role("link", name=VPN_LISTS).click()
    _confirm_dialog(page).get_by_role("button", name="OK").click()
    page.wait_for_url(re.compile(r"/network/vpn-gateways/\d+/$"))
    gateway = VpnGateway.objects.get(vpc=vpc)

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Configure").click()
    expect(page.get_by_role("region", name="Router")).to_contain_text("1 gateway")
    page.get_by_role("link", name=VPN_LISTS).click()
    page.wait_for_url(f"**{gateway.get_absolute_url()}")
    expect(_confirm_dialog(page)).to_have_count(0)
    assert VpnGateway.objects.count() == 1


def test_it_works_by_keyboard_alone(page: Page, alice: User, vpc: Vpc, hq: CustomerGateway) -> None:
    _configure(page, alice, vpc)

    _tab_to(page, VPN_LISTS)
    page.keyboard.press("Enter")
    dialog = _confirm_dialog(page)
    expect(dialog).to_be_visible()
    assert dialog.evaluate("(d) => d.tagName === 'DIALOG' && d.matches(':modal')")
    expect(dialog).to_have_attribute("aria-labelledby", "confirm-title")
    expect(dialog).to_contain_text(QUESTION)
    assert _focus_is_inside(page, "#confirm-dialog")
    expect(dialog.get_by_role("button", name="OK")).to_be_focused()
    # Tab and Shift+Tab cycle through the dialog's controls; the page behind is inert. Past the
    # last control a native modal lets focus out to the browser's own UI (document.body here, in
    # headless Chromium) and back, never to an element of the page behind.
    visited = set()
    for key in ["Tab"] * 7 + ["Shift+Tab"] * 7:
        page.keyboard.press(key)
        assert _focus_escaped(page, "#confirm-dialog") is None, f"{key} left the dialog"
        visited.add(_focused_text(page))
    assert {"OK", "Cancel"} <= visited

    _tab_to(page, "OK", limit=5)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/network/vpn-gateways/\d+/$"))
    gateway = VpnGateway.objects.get(vpc=vpc)

    _tab_to(page, "VPN Connection")
    page.keyboard.press("Enter")
    page.wait_for_url("**?tab=connections")
    _tab_to(page, "Add")
    page.keyboard.press("Enter")
    add = page.get_by_role("dialog", name="Add VPN connection")
    expect(add).to_be_visible()
    page.keyboard.press("Escape")
    expect(add).to_have_count(0)
    assert not VpnConnection.objects.exists()
    expect(page.get_by_role("link", name="Add")).to_be_focused()  # focus returns to the opener

    page.keyboard.press("Enter")
    expect(add).to_be_visible()
    choice = add.get_by_label("Customer Gateway")
    for _ in range(5):  # Tab to the drop-down (the dialog may have focused it already)
        if choice.evaluate("(select) => select === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(choice).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(choice).to_have_value(str(hq.pk))
    _tab_to(page, "OK", limit=5)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("VPN connection to hq added.")
    connection = VpnConnection.objects.get(gateway=gateway, customer_gateway=hq)
    expect(page.locator(f"#connection-{connection.pk} .status")).to_contain_text("Pending")
    expect(add).to_have_count(0)
    expect(page.get_by_role("link", name="Add")).to_be_focused()  # back where the tenant was


def test_it_works_without_javascript(new_page: Callable[..., Page], alice: User, vpc: Vpc) -> None:
    page = new_page(java_script_enabled=False)
    _configure(page, alice, vpc)

    page.get_by_role("link", name=VPN_LISTS).click()
    page.wait_for_url(f"**/network/vpcs/{vpc.pk}/vpn-gateway/")
    dialog = _confirm_dialog(page)
    expect(dialog).to_contain_text(QUESTION)
    assert dialog.evaluate("(d) => d.tagName") == "SECTION"  # a page of its own, not a modal
    assert not VpnGateway.objects.exists()

    dialog.get_by_role("button", name="OK").click()
    page.wait_for_url(re.compile(r"/network/vpn-gateways/\d+/$"))
    gateway = VpnGateway.objects.get(vpc=vpc)
    expect(page.get_by_role("heading", level=1)).to_contain_text(gateway.public_ip)


# Regressions of bugs first seen in the browser: the CSP nonce, row dialogs under the polled
# table, and focus kept across a status refresh.


@pytest.fixture
def connection(alice: User, vpc: Vpc) -> VpnConnection:
    from vpn.actions import create_connection, create_gateway

    gateway = create_gateway(vpc)[0]
    return create_connection(gateway, make_cgw(alice.account), passive=False)


def test_it_sends_the_script_nonce_in_its_policy(
    page: Page, browser_problems: BrowserProblems
) -> None:
    response = page.goto("/accounts/login/")
    assert response is not None
    nonce = page.locator("script[src$='portal.js']").evaluate("(script) => script.nonce")
    assert nonce, "portal.js carries no nonce"
    assert f"'nonce-{nonce}'" in response.headers["content-security-policy"]


def test_it_opens_the_dialog_of_a_connection_row(
    page: Page, alice: User, connection: VpnConnection
) -> None:
    log_in(page, alice)
    page.goto(connection.gateway.get_absolute_url() + "?tab=connections")
    page.get_by_role("link", name="Reset connection to hq").click()
    expect(page.get_by_role("dialog", name="Reset VPN connection")).to_be_visible(timeout=2_000)


def test_it_keeps_focus_while_the_connection_table_refreshes(
    page: Page, alice: User, connection: VpnConnection
) -> None:
    log_in(page, alice)
    page.goto(connection.gateway.get_absolute_url() + "?tab=connections")
    reset = page.get_by_role("link", name="Reset connection to hq")
    reset.focus()
    page.locator("#connections").evaluate("(table) => { table.dataset.old = 'yes'; }")
    record_state(connection, "connected")  # the open page refreshes the table on the change
    page.wait_for_function("() => !document.querySelector('#connections[data-old]')")
    expect(reset).to_be_focused(timeout=500)
