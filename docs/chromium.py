"""How we launch Debian's Chromium for the browser tests and the guide's screenshots.

`playwright install` cannot download a browser here, so Playwright drives /usr/bin/chromium; the
flags keep it from reaching for the network (only our local portal is ever loaded).
"""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--font-render-hinting=none",  # the same glyphs on every run
]
VIEWPORT = {"width": 1280, "height": 800}
