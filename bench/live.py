"""Live pages in a real Chromium (issue 11 "Live within a blink", issue 14 target 4).

The portal runs as production runs it (uvicorn, portal.asgi); Debian's Chromium opens the VPN
Connection tab of a gateway whose VPC router is a real charon on a network node, with the lab's
customer site as the other end.

- Click to Connected: OK in the Add dialog → the row reads Connected, CLICK_RUNS times, on a tab
  whose event stream is open (as a tenant's is); the tab stays (the dialog closes and the table
  refreshes in place). Of each run also: OK → the dialog has closed, OK → the new row is on the
  page, and the database write (the row's state_changed, stamped by the node's agent as it
  writes Connected) → the DOM change (the page's own clock: a MutationObserver and the dialog's
  close event; one machine, one clock).
- Idle pages: IDLE_PAGES pages open on the same tab for IDLE_SECONDS; the requests the server
  answered meanwhile are counted in its own access log.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from typing import TYPE_CHECKING

from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, sync_playwright

from bench.env import OUT, ROOT, python
from bench.stack import Stack
from bench.stats import Results, Row, say, wait_until
from bench.tunnels import DPD_CHOSEN, _delete
from bench.world import customer_gateways, lab_vpc, remove_vpcs, router_uri, site_uri, tenant
from bench.world import vpn_gateway as create_vpn_gateway

if TYPE_CHECKING:
    from playwright._impl._api_structures import SetCookieParam

    from network.models import Vpc
    from vpn.models import VpnGateway

CLICK_RUNS = 20
IDLE_PAGES = 50
PAGES_PER_CONTEXT = 5  # a browser opens at most 6 connections to one HTTP/1.1 server
IDLE_SECONDS = 60
SERVER = "uvicorn"
GROUP = "1b. Live pages (Chromium)"

# Stamps (epoch ms, the page's clock) the first moment each row is on the page, the first
# moment it shows Connected, the moment the Add dialog's OK was clicked (the page's own click
# event: the benchmark's click reaches the page through Playwright, which takes its own time)
# and the moment the dialog closed; __document marks this load (a navigation would lose it).
# __post() reads the browser's Resource Timing of the last POST of the dialog: when it was
# sent, when its answer began (so the server's time, as the browser saw it) and ended.
OBSERVER = """
window.__document = 1;
window.__shown = {};
window.__connected = {};
window.__closed = null;
window.__clicked = null;
function __now() { return performance.timeOrigin + performance.now(); }
window.__post = function () {
  const posts = performance.getEntriesByType("resource").filter(function (entry) {
    return entry.name.indexOf("/connections/add/") !== -1 &&
      entry.initiatorType === "xmlhttprequest";
  });
  if (!posts.length) { return null; }
  const last = posts[posts.length - 1];
  return [performance.timeOrigin + last.requestStart, performance.timeOrigin + last.responseStart,
          performance.timeOrigin + last.responseEnd];
};
document.addEventListener("click", function (event) {
  const button = event.target.closest && event.target.closest("#connection-dialog button");
  if (button && button.type === "submit") { window.__clicked = __now(); }
}, true);
function __stamp() {
  document.querySelectorAll('tr[id^="connection-"]').forEach(function (row) {
    if (!(row.id in window.__shown)) { window.__shown[row.id] = __now(); }
    if (!(row.id in window.__connected) && row.querySelector('[data-state="connected"]')) {
      window.__connected[row.id] = __now();
    }
  });
}
document.addEventListener("close", function (event) {  // "close" does not bubble: capture it
  if (event.target.id === "connection-dialog") { window.__closed = __now(); }
}, true);
document.addEventListener("DOMContentLoaded", function () {
  __stamp();
  new MutationObserver(__stamp).observe(document.body, {subtree: true, childList: true});
});
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - 127.0.0.1 only
            return bool(response.status == 200)
    except OSError:
        return False


def _requests_logged() -> int:
    """The requests the server answered so far (uvicorn's access log lines)."""
    log = OUT / f"{SERVER}.log"
    return sum(1 for line in log.read_text(errors="replace").splitlines() if '" ' in line)


def run(results: Results, stack: Stack) -> None:
    from portal import processes

    account, _user, client = tenant("live")
    vpc = lab_vpc(stack, account, "live", 2)
    gateway = create_vpn_gateway(client, vpc)
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    # As the image does: static files collected (hashed names off, as the tests render) and
    # served by WhiteNoise from there.
    static = {"STATIC_ROOT": str(OUT / "static")}
    manage = [python(), str(ROOT / "manage.py")]
    subprocess.run(
        [*manage, "collectstatic", "--noinput", "-v0"], env={**os.environ, **static}, check=True
    )
    stack.spawn(SERVER, processes.web("127.0.0.1", port), env=static)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    # Playwright's sync API keeps an asyncio loop in this thread; the ORM calls here are ours.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        wait_until(lambda: _answers(f"{host}/healthz"), 30, every=0.2, what=SERVER)
        _in_chromium(results, stack, client, host, vpc, gateway)
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
        stack.stop(SERVER)
        say("live: removing the VPC, its connections and their sites")
        try:
            remove_vpcs(stack, [vpc])
        except Exception as error:
            say(f"  the VPC was not removed: {type(error).__name__}: {error}")


def _in_chromium(
    results: Results, stack: Stack, client: Client, host: str, vpc: Vpc, gateway: VpnGateway
) -> None:
    from docs.chromium import CHROMIUM, CHROMIUM_ARGS, VIEWPORT

    cookie: SetCookieParam = {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": host,
    }
    tab = f"{host}{gateway.get_absolute_url()}?tab=connections"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            context.add_cookies([cookie])
            context.add_init_script(OBSERVER)
            page = context.new_page()
            page.set_default_timeout(30_000)
            click_to_connected(results, stack, client, page, tab, vpc, gateway)
            context.close()
            idle_pages(results, browser, cookie, tab)
        finally:
            browser.close()


def click_to_connected(
    results: Results,
    stack: Stack,
    client: Client,
    page: Page,
    tab: str,
    vpc: Vpc,
    gateway: VpnGateway,
) -> None:
    from lab.sites import add_site
    from vpn.models import VpnConnection

    say(f"live: OK → Connected in Chromium, {CLICK_RUNS} runs")
    [cgw] = customer_gateways(
        gateway.vpc.account, [("live-hq", "203.0.113.20", "192.168.20.0/24")], dpd_delay=DPD_CHOSEN
    )
    add_site(cgw)
    uri, site = router_uri(stack, vpc), site_uri(cgw)
    to_row: list[float] = []
    db_to_dom: list[float] = []
    closed: list[float] = []  # OK → the dialog has closed (its answer is in)
    shown: list[float] = []  # OK → the new row is on the page (Pending, refreshed in place)
    written_at: list[float] = []  # OK → the node's agent writes Connected
    sent: list[float] = []  # OK → the browser sends the POST (htmx's own work first)
    served: list[float] = []  # POST sent → its answer begins (the server, as the browser sees)
    swapped: list[float] = []  # the answer has arrived → the dialog has closed
    relayed: list[float] = []  # the benchmark's click call → the page's click event
    for _ in range(CLICK_RUNS):
        # The tab as a tenant has it open: its event stream is connected.
        with page.expect_response(lambda response: "/network/events/" in response.url):
            page.goto(tab)
        page.get_by_role("link", name="Add").click()
        dialog = page.get_by_role("dialog", name="Add VPN connection")
        dialog.get_by_label("Customer Gateway").select_option(
            label=f"{cgw.name} ({cgw.gateway_ip})"
        )
        clicked = time.time() * 1000
        dialog.get_by_role("button", name="OK").click()
        added = VpnConnection.objects.filter(gateway=gateway, customer_gateway=cgw)
        wait_until(added.exists, 30, every=0.01, what="the POST to add the connection")
        connection = added.get()
        row = f"connection-{connection.pk}"

        def stamped(row: str = row) -> bool:
            """The page's own stamp (wait_for_function would evaluate a string: the CSP
            says no)."""
            return bool(page.evaluate("(row) => (window.__connected || {})[row]", row))

        wait_until(stamped, 30, every=0.01, what=f"{row} to read Connected in Chromium")
        # The stream may turn the row Connected before the POST's answer has closed the dialog.
        wait_until(
            lambda: page.evaluate("() => window.__closed") is not None,
            30,
            every=0.01,
            what="the Add dialog to close, on the same page",
        )
        stamps = page.evaluate(
            "(row) => [window.__document, window.__closed, window.__shown[row], "
            "window.__connected[row], window.__clicked, window.__post()]",
            row,
        )
        if stamps[0] != 1 or stamps[1] is None or stamps[4] is None or stamps[5] is None:
            raise RuntimeError(
                "the tab was reloaded, the dialog did not close, or its OK or POST went unseen"
            )
        relayed.append(stamps[4] - clicked)
        clicked = stamps[4]  # OK, as the tenant clicked it: the page's own click event
        request_start, response_start, response_end = stamps[5]
        connection.refresh_from_db()
        written = connection.state_changed.timestamp() * 1000  # when it became Connected
        closed.append(stamps[1] - clicked)
        shown.append(stamps[2] - clicked)
        to_row.append(stamps[3] - clicked)
        written_at.append(written - clicked)
        db_to_dom.append(stamps[3] - written)
        sent.append(request_start - clicked)
        served.append(response_start - request_start)
        swapped.append(stamps[1] - response_end)
        _delete(client, connection, uri, site, cgw)
    figures = [
        (
            "OK in the Add dialog → the row reads Connected",
            to_row,
            "real charons both ends; the tab stays (the dialog closes, the table refreshes in "
            "place) and follows the account's event stream",
            "the tunnel: the row reads Connected one stream message and one fragment GET after "
            "the node's agent writes it (the last phase); the write waits for the POST, whose "
            "lab-only site load comes before the node's message, then the push and the "
            "negotiation. Next step: a message naming its row, so that the page fetches that "
            "row alone instead of the table's page",
        ),
        (
            "phase: OK → the dialog has closed (the POST and its answer)",
            closed,
            "the POST (with the lab's site load, lab only); the answer swaps the message in and "
            "asks the page to refresh the table",
            "",
        ),
        (
            "phase: OK → the browser sends the POST",
            sent,
            "htmx's own work between the click and the request (the form's values, its events)",
            "",
        ),
        (
            "phase: the POST sent → its answer begins (the server's time, seen by the browser)",
            served,
            "the add action, its on-commit hooks (the lab site's load, lab only; the push's "
            "message; the live message) and the answer's render, through uvicorn",
            "",
        ),
        (
            "phase: the answer has arrived → the dialog has closed",
            swapped,
            "htmx swaps the message in, then the page closes the dialog",
            "",
        ),
        (
            "the benchmark's click (Playwright) → the page's click event (not counted above)",
            relayed,
            "every figure above starts at the page's own click event; this is the time the "
            "automation takes to deliver the click, which a tenant does not wait for",
            "",
        ),
        (
            "phase: OK → the new row is on the page (Pending)",
            shown,
            "one fragment GET of the table, asked by the answer or by the stream's copy of the "
            "same message, whichever comes first (the page drops the second)",
            "",
        ),
        (
            "phase: OK → the node's agent writes Connected (the row's state_changed)",
            written_at,
            "the POST (its on-commit site load, lab only, comes before the node's message), "
            "the push to the router's charon and the negotiation with the site",
            "",
        ),
        (
            "database write (state_changed) → the page's row shows it",
            db_to_dom,
            "agent PUBLISH → Redis → uvicorn's stream → EventSource → htmx fragment GET",
            "the fragment's GET and render, on 2 cores shared with both charons and the agents",
        ),
    ]
    for metric, samples, note, limit in figures:
        phase = metric.startswith(("phase:", "the benchmark's"))  # no target of its own
        results.add(
            Row(
                GROUP,
                metric,
                "ms",
                samples,
                target="" if phase else "p50 ≤ 300 ms, p95 ≤ 1 s",
                check=None if phase else lambda r: r.median <= 300 and r.p95 <= 1000,
                note=note,
                limit=limit,
            )
        )


def idle_pages(results: Results, browser: Browser, cookie: SetCookieParam, tab: str) -> None:
    say(f"live: {IDLE_PAGES} idle open pages for {IDLE_SECONDS} s")
    contexts = []
    for n in range(0, IDLE_PAGES, PAGES_PER_CONTEXT):
        context = browser.new_context()
        context.add_cookies([cookie])
        contexts.append(context)
        for _ in range(min(PAGES_PER_CONTEXT, IDLE_PAGES - n)):
            page = context.new_page()
            with page.expect_response(lambda response: "/network/events/" in response.url):
                page.goto(tab)
    try:
        time.sleep(2)  # the last pages' own loads are logged
        before = _requests_logged()
        time.sleep(IDLE_SECONDS)
        count = _requests_logged() - before
    finally:
        for context in contexts:
            context.close()
    results.add(
        Row(
            GROUP,
            f"requests from {IDLE_PAGES} idle open pages, per page and minute",
            "req/min",
            [count / IDLE_PAGES / (IDLE_SECONDS / 60)],
            target="far below 60 (the former 1 s poll)",
            check=lambda r: r.p95 <= 6,
            note=(
                f"{count} requests at the server in {IDLE_SECONDS} s: only the "
                f"{settings.PORTAL['STATUS_POLL_SECONDS']} s safety-net refresh; each page "
                "holds one open event stream"
            ),
        )
    )
