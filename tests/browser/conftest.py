"""A real Chromium (Debian's, driven by Playwright's sync API) against the portal under uvicorn.

Every page a test opens is watched: a console error (which is how Chromium reports a Content
Security Policy violation), an uncaught page error or a 5xx response fails the test that caused it.

Chromium starts once for this package (package scope, not session: Playwright's sync API keeps an
asyncio loop running in the test thread while it is up, and that must end with the browser tests
rather than leak into the rest of the session).
"""

import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Response,
    sync_playwright,
)

from docs.chromium import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from portal.models import User
from tests.asgi_server import AsgiLiveServer

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from tests.stack import Stack

TIMEOUT_MS = 5_000  # a local page that takes longer than this is a bug worth failing on

# Besides the console, report CSP violations from the page itself, with the directive and source.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || "?"}:${event.lineNumber})`);
});
"""

# Console errors we know about, each tolerated only until its fix lands; a test pins each one
# (strict xfail), so the fix turns that test red and points here to delete the entry.
KNOWN_CONSOLE_ERRORS: dict[str, re.Pattern[str]] = {}

PROBLEMS = pytest.StashKey[list[str]]()


class BrowserProblems:
    """What went wrong inside the browser while a test ran."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.known: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.items.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if any(known.search(message.text) for known in KNOWN_CONSOLE_ERRORS.values()):
            self.known.append(message.text)
        else:
            where = message.location.get("url", "")
            self.items.append(f"console error: {message.text} [{where}]")

    def _response(self, response: Response) -> None:
        if response.status >= 500:
            self.items.append(f"HTTP {response.status}: {response.request.method} {response.url}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test (not its teardown) when its pages logged errors, and say which."""
    try:
        result = yield
    except BaseException as error:
        problems = item.stash.get(PROBLEMS, [])
        if problems:
            error.add_note("browser problems:\n  " + "\n  ".join(problems))
        raise
    problems = item.stash.get(PROBLEMS, [])
    if problems:
        pytest.fail("browser problems:\n  " + "\n  ".join(problems), pytrace=False)
    return result


@pytest.fixture(scope="package", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an asyncio loop in the test thread, so Django's async-safety
    check would refuse the ORM calls these tests and their fixtures make. The documented escape
    hatch, for the browser tests only: the portal itself never runs like this."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def live_server(django_db_setup: None) -> Iterator[AsgiLiveServer]:
    """The portal as production serves it (uvicorn, ASGI), in place of pytest-django's WSGI
    server: the pages' live updates are an async event stream. It stops before the test
    database is dropped."""
    server = AsgiLiveServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser(_allow_orm_beside_playwright: None) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_problems(request: pytest.FixtureRequest) -> BrowserProblems:
    """What this test's pages have logged; checked by pytest_runtest_call above."""
    problems = BrowserProblems()
    request.node.stash[PROBLEMS] = problems.items
    return problems


@pytest.fixture
def new_page(
    browser: Browser,
    browser_problems: BrowserProblems,
    live_server: "LiveServer",
    transactional_db: None,
) -> Iterator[Callable[..., Page]]:
    """Open watched pages in fresh contexts; all are closed before the database is flushed."""
    contexts: list[BrowserContext] = []

    def open_page(**context_options: object) -> Page:
        """A new page in a new browser context (options as for `browser.new_context`)."""
        context = browser.new_context(
            viewport=VIEWPORT,
            base_url=live_server.url,
            **context_options,  # type: ignore[arg-type]
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        page = context.new_page()
        browser_problems.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


def log_in(page: Page, user: User, password: str | None = None) -> None:
    """Log in through the real login form, as a person would, and land on the VPC list."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password or "pw-" + user.username)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/network/vpcs/")


def spoken(status: Locator) -> str:
    """The indicator's text without its aria-hidden symbol: what a screen reader says."""
    return status.evaluate(
        """(el) => [...el.childNodes]
          .filter((n) => !(n.nodeType === 1 && n.getAttribute("aria-hidden") === "true"))
          .map((n) => n.textContent).join("").trim()"""
    )


def mark_document(page: Page) -> None:
    """Tag the current document; any navigation or reload loses the tag."""
    page.evaluate("() => { window.__marker = 1; }")


def still_same_document(page: Page) -> bool:
    return page.evaluate("() => window.__marker === 1")


@pytest.fixture
def stack_logs_on_failure(request: pytest.FixtureRequest, stack: "Stack") -> Iterator[None]:
    """Print the running stack's logs when the test failed (for the tests with the lab)."""
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        print(stack.logs())
