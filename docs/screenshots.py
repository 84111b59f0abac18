"""`make screenshots`: the user guide's images, taken from the running portal.

Starts the whole demo (`manage.py demo`: web server, Celery worker and beat, the VICI monitor and
the lab's real charons) on a free port with a SQLite database, a lab (/run/s2s-shots, prefix
"shots") and a broker key prefix of its own, so it never meets a running `make demo` or a test
run. Then it walks the guide's steps in Debian's Chromium, as a tenant would, and writes
docs/user-guide/network/vpc/vpn-gateway/Image-01.JPG … Image-07.JPG and the guide,
docs/user-guide/network/vpc/vpn-gateway.md. The demo is stopped with SIGTERM (as Ctrl-C would)
and the lab is checked gone before it returns.

The images are stable from run to run: seeded demo data, a fixed viewport and scale, and whatever
changes by itself (dates, "established N ago", traffic counters: the elements the templates mark
`data-volatile`) hidden by a stylesheet that only this script adds.

Run it as root (the lab builds network namespaces): `make screenshots`, or from the project
directory `.venv/bin/python -m docs.screenshots`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from docs.chromium import CHROMIUM, CHROMIUM_ARGS, VIEWPORT

if TYPE_CHECKING:
    from playwright.sync_api import FloatRect, Locator, Page

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "user-guide" / "network" / "vpc" / "vpn-gateway.md"
IMAGES = GUIDE.with_suffix("")  # docs/user-guide/network/vpc/vpn-gateway/
LAB_DIR = Path("/run/s2s-shots")
LAB_PREFIX = "shots"
JPEG_QUALITY = 85
START_TIMEOUT = 120.0  # migrate, lab, seed and four processes: about 15 s here
CONNECTED_TIMEOUT = 60.0  # a real tunnel: about a second here
STOP_TIMEOUT = 60.0
UI_TIMEOUT_MS = 10_000
LOG_TAIL_LINES = 40

DEMO_USER = ("demo", "demo")
VPC = "data-vpc"  # seeded without a VPN gateway, so the guide's confirm dialog appears
CUSTOMER_GATEWAY = "branch-office (203.0.113.20)"  # seeded, its device runs in the lab
QUESTION = "Please confirm to create S2S VPN gateway for this VPC."

# Only for the screenshots: what changes by itself is left out. Rows of a definition list go
# whole; table cells keep their place but show nothing, so columns do not shift.
HIDE_VOLATILE = """
dt[data-volatile], dd[data-volatile], span[data-volatile] { display: none !important; }
td[data-volatile], td[data-volatile] * { visibility: hidden !important; font-size: 0 !important; }
*, *::before, *::after { transition: none !important; animation: none !important; }
"""


class Failed(Exception):
    """Something this script needs is missing or did not happen; the message says what."""


def main() -> int:
    started = time.monotonic()
    try:
        preflight()
        with one_run(), demo_portal() as base_url:
            images = walk_the_guide(base_url)
        write_guide()
    except Failed as error:
        print(f"screenshots: {error}", file=sys.stderr)
        return 1
    for path, (width, height) in images.items():
        print(f"wrote {path.relative_to(ROOT)}  {width}x{height}  {path.stat().st_size} bytes")
    print(f"wrote {GUIDE.relative_to(ROOT)}")
    print(f"screenshots: done in {time.monotonic() - started:.0f} s")
    return 0


# -- what the run needs ----------------------------------------------------------------------


def preflight() -> None:
    if os.geteuid() != 0:
        raise Failed(
            "run this as root: the demo's lab builds network namespaces with real strongSwan "
            "daemons (sudo make screenshots)"
        )
    if not CHROMIUM.exists():
        raise Failed(f"{CHROMIUM} is missing: apt-get install chromium (scripts/setup.sh does)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise Failed("the playwright package is missing: run make setup") from None
    try:
        import redis

        redis.Redis.from_url(broker_url(), socket_timeout=2).ping()
    except Exception as error:
        raise Failed(
            f"Redis does not answer at {broker_url()} ({error}): run scripts/services.sh"
        ) from None


def broker_url() -> str:
    return os.environ.get("CELERY_BROKER_URL") or os.environ.get(
        "REDIS_URL", "redis://127.0.0.1:6379/0"
    )


@contextmanager
def one_run() -> Iterator[None]:
    """Two runs at once would share the lab directory: refuse the second."""
    with open(f"{LAB_DIR}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Failed("another `make screenshots` is running") from None
        yield


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo_environment(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "1",  # static files served from the finders; plain http on 127.0.0.1
        "SECURE_TLS": "0",
        "DATABASE_URL": f"sqlite:///{work / 'demo.sqlite3'}",
        "LAB_DIR": str(LAB_DIR),
        "LAB_PREFIX": LAB_PREFIX,
        "PORTAL_LAB": "1",
        "CELERY_BROKER_URL": broker_url(),
        "CELERY_RESULT_BACKEND": broker_url(),
        "CELERY_KEY_PREFIX": f"shots-{os.getpid()}:",
        "PYTHONUNBUFFERED": "1",
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


@contextmanager
def demo_portal() -> Iterator[str]:
    """`manage.py demo` on a free port, answering; stopped and its lab checked gone after."""
    work = Path(tempfile.mkdtemp(prefix="s2s-shots-"))
    env = demo_environment(work)
    log = work / "demo.log"
    if lab_leftovers():  # what a killed run left behind
        take_the_lab_down(env)
    addr = f"127.0.0.1:{free_port()}"
    print(f"screenshots: starting the demo on http://{addr}/ (log: {log})", flush=True)
    with open(log, "wb") as out:
        demo = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "demo", "--addr", addr],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches this script, which stops the demo
        )
    ok = False
    try:
        wait_until_answering(f"http://{addr}", demo)
        yield f"http://{addr}"
        ok = True
    except Failed as error:
        raise Failed(f"{error}\n  the demo's log ({log}) ends with:\n{tail(log)}") from None
    finally:
        try:
            stop_demo(demo, env)
        finally:
            clear_broker(env["CELERY_KEY_PREFIX"])
        if ok:
            shutil.rmtree(work, ignore_errors=True)


def wait_until_answering(base_url: str, demo: subprocess.Popen[bytes]) -> None:
    url = base_url + "/accounts/login/"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if demo.poll() is not None:
            raise Failed(f"the demo exited with status {demo.returncode} before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our http URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise Failed(f"the demo did not answer on {base_url} within {START_TIMEOUT:.0f} s")


def stop_demo(demo: subprocess.Popen[bytes], env: dict[str, str]) -> None:
    """SIGTERM, as Ctrl-C would: the demo stops its processes and takes its lab down."""
    if demo.poll() is None:
        os.kill(demo.pid, signal.SIGTERM)
    try:
        demo.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"screenshots: the demo did not stop in {STOP_TIMEOUT:.0f} s; killing it")
        os.killpg(demo.pid, signal.SIGKILL)
        demo.wait()
    if lab_leftovers():
        print("screenshots: the demo left its lab behind; taking it down")
        take_the_lab_down(env)
    shutil.rmtree(LAB_DIR, ignore_errors=True)  # only the lab's lock file is left in it
    print("screenshots: the demo stopped and its lab is gone", flush=True)


def take_the_lab_down(env: dict[str, str]) -> None:
    done = manage(env, "lab", "down")
    leftovers = lab_leftovers()
    if leftovers:
        raise Failed(
            f"the lab at {LAB_DIR} (prefix {LAB_PREFIX}) could not be taken down: "
            f"{', '.join(leftovers)}\n{done.stdout}{done.stderr}"
        )


def lab_leftovers() -> list[str]:
    listed = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=False
    ).stdout
    namespaces = [line.split()[0] for line in listed.splitlines() if line.strip()]
    nodes = [str(spec.parent) for spec in LAB_DIR.glob("**/node.json")]
    return [ns for ns in namespaces if ns.startswith(f"{LAB_PREFIX}-")] + nodes


def clear_broker(prefix: str) -> None:
    """The run's queues (its key prefix is unique) go with it."""
    import redis

    try:
        broker = redis.Redis.from_url(broker_url(), socket_timeout=5)
        for key in broker.scan_iter(match=prefix + "*"):
            broker.delete(key)
    except redis.RedisError as error:
        print(f"screenshots: the broker keys {prefix}* were not removed: {error}")


# -- the guide, walked in Chromium -----------------------------------------------------------


def walk_the_guide(base_url: str) -> dict[Path, tuple[int, int]]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright

    IMAGES.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except PlaywrightError as error:
            raise Failed(f"{CHROMIUM} did not start: {error.message}") from None
        try:
            page = browser.new_page(
                viewport=VIEWPORT,  # type: ignore[arg-type]
                device_scale_factor=1,
                base_url=base_url,
                locale="en-US",
                timezone_id="UTC",
                color_scheme="light",
                reduced_motion="reduce",
                bypass_csp=True,  # for the stylesheet below; the portal's own policy is tested
            )
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.add_init_script(
                "document.addEventListener('DOMContentLoaded', () => {"
                "  const style = document.createElement('style');"
                f"  style.textContent = {json.dumps(HIDE_VOLATILE)};"
                "  document.head.append(style); });"
            )
            try:
                return Walk(page).run()
            except (PlaywrightError, AssertionError) as error:
                shot = Path(tempfile.gettempdir()) / "s2s-screenshots-failure.png"
                with suppress(PlaywrightError):
                    page.screenshot(path=shot)
                raise Failed(
                    f"walking the guide failed at {page.url}: {error} (the page: {shot})"
                ) from None
        finally:
            browser.close()


class Walk:
    """The seven steps of the guide, with a screenshot wherever the guide shows one."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.images: dict[Path, tuple[int, int]] = {}

    def run(self) -> dict[Path, tuple[int, int]]:
        from playwright.sync_api import expect

        page = self.page
        self.log_in()
        self.wait_for_the_demo_tunnel()

        # 1. Network → VPC in the left navigation pane; the account's VPCs.
        nav = page.get_by_role("navigation", name="Main navigation")
        nav.get_by_role("link", name="VPC", exact=True).click()
        vpcs = page.get_by_role("table", name="VPCs")
        expect(vpcs).to_contain_text(VPC)
        width = round(VIEWPORT["width"] * 0.3)
        height = self.bottom(vpcs.get_by_role("row").last) + 16
        self.shoot("Image-01", {"x": 0, "y": 0, "width": width, "height": height})

        # 2. The VPC's details; Configure.
        vpcs.get_by_role("link", name=VPC).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(VPC)
        self.shoot("Image-02", self.around(page.locator("main > *")))

        # 3. The VPC Configuration Dashboard; Router → Site-to-Site VPN Lists; the dialog.
        page.get_by_role("link", name="Configure").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("VPC Configuration Dashboard")
        router = page.get_by_role("region", name="Router")
        self.shoot("Image-03", self.around(page.locator("main > *")))
        router.get_by_role("link", name="Site-to-Site VPN Lists").click()
        confirm = page.get_by_role("dialog", name="Create VPN gateway")
        expect(confirm).to_contain_text(QUESTION)
        self.shoot("Image-04", self.around(confirm, margin=24))

        # 4. OK: the VPN Gateway Configuration Page, on the VPC's Source NAT IP.
        confirm.get_by_role("button", name="OK").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("VPN Gateway Configuration")

        # 5. The VPN Connection tab; Add.
        page.get_by_role("tab", name="VPN Connection").click()
        expect(page.get_by_role("table", name="VPN connections")).to_be_visible()
        self.shoot("Image-05", self.around(page.locator("main > *")))

        # 6. The Add dialog: a Customer Gateway from the drop-down.
        page.get_by_role("link", name="Add").click()
        add = page.get_by_role("dialog", name="Add VPN connection")
        add.get_by_label("Customer Gateway").select_option(label=CUSTOMER_GATEWAY)
        self.shoot("Image-06", self.around(add, margin=24))

        # 7. OK: the tunnel comes up and the status turns Connected in the open page.
        add.get_by_role("button", name="OK").click()
        row = page.get_by_role("row").filter(has_text=CUSTOMER_GATEWAY.split()[0])
        expect(row.locator(".status")).to_have_attribute(
            "data-state", "connected", timeout=CONNECTED_TIMEOUT * 1000
        )
        self.shoot("Image-07", self.around(page.locator("main > *")))

        # 8. Configuration: the device list, one file per device tenants run.
        name = CUSTOMER_GATEWAY.split()[0]
        row.get_by_role("link", name=f"Download the configuration for {name}").click()
        files = page.get_by_role("dialog", name="Download configuration")
        expect(files).to_contain_text("Cisco")
        self.shoot("Image-08", self.around(files, margin=24))

        # 9. The connection's own page: state, negotiation, availability, traffic, timeline.
        files.locator(".modal-footer").get_by_role("link", name="Close").click()
        expect(files).to_be_hidden()
        row.get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("VPN Connection")
        expect(page.get_by_role("table", name="What happened to this connection, newest first"))
        self.shoot("Image-09", self.around(page.locator("main > *")))
        return self.images

    def log_in(self) -> None:
        page = self.page
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(DEMO_USER[0])
        page.get_by_label("Password").fill(DEMO_USER[1])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/network/vpcs/")

    def wait_for_the_demo_tunnel(self) -> None:
        """The seeded connection of web-vpc is Connected: the workers and the lab are up."""
        page = self.page
        page.get_by_role("link", name="VPN Connections").click()
        connected = page.locator(".status[data-state='connected']")
        deadline = time.monotonic() + CONNECTED_TIMEOUT
        while not connected.count():
            if time.monotonic() > deadline:
                states = page.locator(".status").all_inner_texts()
                raise Failed(
                    f"the demo's connection is not Connected after {CONNECTED_TIMEOUT:.0f} s "
                    f"(the portal shows: {', '.join(states) or 'no connection'})"
                )
            time.sleep(1)
            page.reload()

    # -- framing ---------------------------------------------------------------------------

    def bottom(self, locator: Locator) -> float:
        box = locator.bounding_box()
        assert box is not None, f"{locator} is not visible"
        return box["y"] + box["height"]

    def around(self, locator: Locator, margin: float = 16) -> FloatRect:
        """The smallest rectangle holding every element `locator` matches, plus a margin,
        within the viewport."""
        boxes = [box for box in (item.bounding_box() for item in locator.all()) if box]
        assert boxes, f"{locator} is not visible"
        left = max(0, min(b["x"] for b in boxes) - margin)
        top = max(0, min(b["y"] for b in boxes) - margin)
        right = min(VIEWPORT["width"], max(b["x"] + b["width"] for b in boxes) + margin)
        bottom = min(VIEWPORT["height"], max(b["y"] + b["height"] for b in boxes) + margin)
        return {"x": left, "y": top, "width": right - left, "height": bottom - top}

    def shoot(self, name: str, clip: FloatRect) -> None:
        page = self.page
        page.mouse.move(VIEWPORT["width"] - 1, VIEWPORT["height"] - 1)  # no hover effects
        page.evaluate("() => document.fonts.ready")
        clip = {
            "x": float(round(clip["x"])),
            "y": float(round(clip["y"])),
            "width": float(round(clip["width"])),
            "height": float(round(clip["height"])),
        }
        path = IMAGES / f"{name}.JPG"
        page.screenshot(
            path=path,
            type="jpeg",
            quality=JPEG_QUALITY,
            clip=clip,
            animations="disabled",
            caret="hide",
        )
        self.images[path] = (int(clip["width"]), int(clip["height"]))


# -- the guide's text ------------------------------------------------------------------------

GUIDE_TEXT = """\
# Site-to-Site VPN: create a VPN gateway and connect a customer gateway

A Site-to-Site (S2S) VPN joins a network of yours (an office, a data centre) to a VPC over an
IPsec tunnel. On the VPC's side the tunnel ends at the VPC's **VPN gateway**; on your side at
your own VPN device, which the portal knows as a **customer gateway** (add those under
**Network → VPN Customer Gateway** first). Each VPC has at most one VPN gateway, and a VPN
gateway can have a connection to several customer gateways.

The screenshots come from the portal's demo (`make screenshots` regenerates them).

## 1. Find your VPC

Log in. In the navigation pane on the left, open **Network → VPC**. The list shows every VPC of
your account; click the name of the VPC to connect to see its details.

![The navigation pane with Network → VPC](vpn-gateway/Image-01.JPG)

## 2. Open the VPC Configuration Dashboard

On the VPC's details page, click **Configure**. The **VPC Configuration Dashboard** opens.

![The VPC details page with the Configure button](vpn-gateway/Image-02.JPG)

## 3. Open the Site-to-Site VPN list of the VPC

In the **Router** section of the dashboard, click **Site-to-Site VPN Lists**.

![The Router section with Site-to-Site VPN Lists](vpn-gateway/Image-03.JPG)

If the VPC has no VPN gateway yet, the portal asks first: *"Please confirm to create S2S VPN
gateway for this VPC."* Click **OK** to create it (**Cancel** or Esc creates nothing). Next time
the link takes you straight to the gateway.

![The confirmation dialog](vpn-gateway/Image-04.JPG)

## 4. The VPN Gateway Configuration page

You are now on the **VPN Gateway Configuration** page. The VPN gateway uses the VPC's default
**Source NAT IP** as its public address; the page shows it in its title and in **Details**. This is
the address to configure as the remote peer on your own VPN device.

## 5. Add a VPN connection

Open the **VPN Connection** tab and click **Add**.

![The VPN Connection tab with the Add button](vpn-gateway/Image-05.JPG)

## 6. Choose the customer gateway

In the dialog, pick your device from the **Customer Gateway** drop-down and click **OK**. Leave
**Passive** unticked unless your device must start the tunnel itself.

![The Add VPN connection dialog with the Customer Gateway drop-down](vpn-gateway/Image-06.JPG)

## 7. Watch the tunnel come up

The dialog closes and the new connection appears at once in the **VPN Connection** tab. Its
status follows the tunnel as it happens, without reloading the page: **Pending** or
**Connecting** while the VPN gateway negotiates with your device, **Connected** once the tunnel
is up and ready for traffic, and **Disconnected** when your device stops answering. Each
connection's **Configuration** button gives the settings for your own device.

![A Connected VPN connection](vpn-gateway/Image-07.JPG)

## 8. Configure your device

Click the connection's **Configuration** button. The dialog lists the devices the portal writes a
configuration file for, by vendor: strongSwan (swanctl.conf and ipsec.conf), Libreswan, Cisco IOS XE
(policy-based, or route-based with a VTI) and ASA, Juniper SRX, Fortinet FortiGate, Palo Alto
PAN-OS, pfSense, OPNsense, MikroTik RouterOS and VyOS. Click yours to download a file written from
this connection's own settings: the VPN gateway's public IP, your networks, every IKE and ESP
algorithm in your vendor's words, the lifetimes, dead peer detection, the identities and the
pre-shared key. Its first lines say what you must still fill in (your interface names, for
example). A device that cannot do what this connection asks (a Diffie-Hellman group it lacks, say)
is not offered; the dialog says which setting of the customer gateway to change instead.

The file holds the pre-shared key in clear text: keep it like a password.

![The Download configuration dialog with the device list](vpn-gateway/Image-08.JPG)

## 9. Look into one connection

Click the customer gateway's name in the **VPN Connection** tab (or in **VPN Connections**, the
list of all your account's connections) to open the connection's own page. It shows:

- the state and its reason, what was negotiated (IKE and ESP algorithms, IKE version), whether NAT
  was detected between the ends, the networks the tunnel carries on each side, when the tunnel was
  established and last rekeyed, and the bytes and packets each way;
- **Availability** for the last 24 hours and 7 days: a bar with each outage drawn dark, and the
  same in words, e.g. "Connected 99.2% of the last 24 h; down 1 time: 03:00\u201303:12 (the tunnel
  went down; trying to reach 203.0.113.10 again)";
- **Traffic** for the last 24 hours, bytes in and out per half hour;
- the **Timeline**, newest first: every change of state with its reason, configuration pushes,
  resets, rekeys and restarts of the VPN router.

The page follows the tunnel as it happens, without reloading. A connection that went down 3 times
within 15 minutes is marked **Flapping** on its row and page: look for an unstable link or a
setting that differs between the two ends (DPD, lifetimes). History is kept for 90 days unless your
provider says otherwise. To be told when a tunnel stays down, set up **Alerts** (top bar): an
email and/or a signed webhook when a connection has been down for the minutes you choose, and
again when it recovers.

![A VPN connection's own page with its availability and timeline](vpn-gateway/Image-09.JPG)
"""


def write_guide() -> None:
    GUIDE.parent.mkdir(parents=True, exist_ok=True)
    GUIDE.write_text(GUIDE_TEXT)


if __name__ == "__main__":
    sys.exit(main())
