"""The customer gateway form in a real Chromium, under the real Content Security Policy: a preset
fills the policy fields in place, Generate puts a fresh key into the key field with a Copy button,
and the form saves both; with JavaScript off the same buttons work through the server."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from portal.models import User
from tests.browser.conftest import log_in
from vpn.models import CustomerGateway

pytestmark = pytest.mark.browser

RECOMMENDED = "Recommended (IKEv2, AES-256-GCM, group 20)"


def _fill_device(page: Page) -> None:
    page.locator("#id_name").fill("branch")
    page.locator("#id_gateway_ip").fill("203.0.113.50")
    page.locator("#id_cidr_list").fill("192.168.50.0/24")


def test_it_applies_a_preset_and_a_generated_key_and_saves(
    new_page: Callable[..., Page], alice: User
) -> None:
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    log_in(page, alice)
    page.goto("/network/customer-gateways/add/")
    _fill_device(page)

    page.get_by_role("button", name=RECOMMENDED).click()
    expect(page.get_by_label("IKE encryption")).to_have_value("aes256gcm16")
    expect(page.get_by_label("IKE Diffie-Hellman group")).to_have_value("ecp384")
    expect(page.locator("#proposals")).to_contain_text("aes256gcm16-prfsha384-ecp384")
    expect(page.locator("#id_name")).to_have_value("branch")  # nothing else touched

    page.get_by_role("button", name="Generate").click()
    key_field = page.locator("#id_psk")
    expect(key_field).to_have_value(re.compile(r"^[A-Za-z][A-Za-z0-9]{39}$"))
    psk = key_field.input_value()
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Key copied to the clipboard.")
    assert page.evaluate("() => navigator.clipboard.readText()") == psk

    page.get_by_role("button", name="OK").click()
    page.wait_for_url("**/network/customer-gateways/")
    saved = CustomerGateway.objects.get(account=alice.account)
    assert (saved.ike_encryption, saved.ike_dh, saved.esp_pfs) == (
        "aes256gcm16",
        "ecp384",
        "ecp384",
    )
    assert saved.get_psk() == psk


def test_it_applies_a_preset_and_generates_a_key_without_javascript(
    new_page: Callable[..., Page], alice: User
) -> None:
    page = new_page(java_script_enabled=False)
    log_in(page, alice)
    page.goto("/network/customer-gateways/add/")
    _fill_device(page)
    page.get_by_role("button", name="Compatible with AWS defaults").click()
    expect(page.get_by_label("IKE lifetime (seconds)")).to_have_value("28800")
    expect(page.locator("#id_name")).to_have_value("branch")
    page.get_by_role("button", name="Generate").click()
    psk = page.locator("#id_psk").input_value()
    assert len(psk) == 40
    page.get_by_role("button", name="OK").click()
    saved = CustomerGateway.objects.get(account=alice.account)
    assert (saved.ike_lifetime, saved.esp_pfs, saved.get_psk()) == (28800, "modp2048", psk)
