"""axe-core on every page and dialog of the user guide: no serious or critical violation.

axe-core comes from the npm registry (package.json, installed by scripts/setup.sh). It is added to
each page as a script, which the portal's Content Security Policy rightly refuses, so this test
alone opens its pages with Playwright's `bypass_csp`; the other browser tests run under the real
policy and fail on any violation of it.
"""

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from network.models import Vpc
from portal.models import User
from tests.browser.conftest import log_in
from tests.vpn.conftest import make_cgw

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


@pytest.fixture
def axe_page(new_page: Callable[..., Page]) -> Page:
    if not AXE.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is missing, so axe-core is not installed (apt-get install npm)")
        pytest.fail(f"{AXE} is missing: run scripts/setup.sh (it runs npm ci)", pytrace=False)
    return new_page(bypass_csp=True)


def _violations(page: Page, where: str) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one readable line each."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            found.append(
                f"{where}: [{violation['impact']}] {violation['id']}: {violation['help']}\n"
                f"    at {', '.join(map(str, node['target']))}\n    {summary}"
            )
    return found


def test_it_has_no_serious_violations_along_the_guide(
    axe_page: Page, alice: User, vpc: Vpc
) -> None:
    page = axe_page
    make_cgw(alice.account, name="hq", ip="203.0.113.10")
    found: list[str] = []
    log_in(page, alice)

    expect(page.get_by_role("table", name="VPCs")).to_contain_text("prod")
    found += _violations(page, "VPC list")

    page.get_by_role("table", name="VPCs").get_by_role("link", name="prod").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("prod")
    found += _violations(page, "VPC details")

    page.get_by_role("link", name="Configure").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("VPC Configuration Dashboard")
    found += _violations(page, "VPC configuration dashboard")

    page.get_by_role("link", name="Site-to-Site VPN Lists").click()
    confirm = page.get_by_role("dialog", name="Create VPN gateway")
    expect(confirm).to_be_visible()
    found += _violations(page, "confirm dialog")

    confirm.get_by_role("button", name="OK").click()
    page.wait_for_url(re.compile(r"/network/vpn-gateways/\d+/$"))
    page.get_by_role("tab", name="VPN Connection").click()
    expect(page.get_by_role("table", name="VPN connections")).to_be_visible()
    found += _violations(page, "VPN gateway, VPN Connection tab")

    page.get_by_role("link", name="Add").click()
    add = page.get_by_role("dialog", name="Add VPN connection")
    expect(add).to_be_visible()
    found += _violations(page, "Add VPN connection dialog")

    add.get_by_label("Customer Gateway").select_option(label="hq (203.0.113.10)")
    add.get_by_role("button", name="OK").click()
    expect(page.get_by_role("table", name="VPN connections")).to_contain_text("Pending")
    found += _violations(page, "VPN Connection tab with a connection")

    assert not found, "axe found serious or critical violations:\n" + "\n".join(found)
