"""Locust: tenants with a live page open (the VPN Connection tab), as static/js/live.js keeps it.

Run by bench/load.py. Each simulated tenant takes the session of one real tenant user from the
file named by BENCH_LOCUST_USERS (sessions made by the benchmark, so no login is timed) and:

- opens the tab (the whole page), then holds one event stream on /network/events/ (the page's
  EventSource) for the whole run, in a greenlet of its own;
- refreshes the connections fragment (HX-Request) when a message for its gateway arrives on the
  stream, or when the answer to its own action names one (the dialog's "live-message" event),
  one refresh at a time, the messages that arrive meanwhile answered once it is done, as the
  page's script does; and every STATUS_POLL_SECONDS (the page's safety net, in a random phase);
- from BENCH_ACTIONS_AT (epoch seconds, once every tenant's page is open) until
  BENCH_ACTIONS_UNTIL, acts once every BENCH_PACE seconds, the first time at a random moment of
  the first period: opens the tab again, adds a connection (the Add dialog, then OK) or resets one
  (the confirmation dialog, then OK). An answer with HX-Redirect loads that page, as htmx does.
  After BENCH_ACTIONS_UNTIL the tenant only keeps its page open (the quiet minute).
- BENCH_PACE=0 is the stress run: no think time, and no adds (each tenant has few spare
  customer gateways); tab, fragment and reset back to back.

Every request is also written, with its moment, to BENCH_LOCUST_OUT (JSON lines) when locust
stops, so that bench/load.py can tell the action minute from the quiet one.
"""

import itertools
import json
import os
import random
import time
from typing import Any

import gevent
import requests
from locust import HttpUser, events, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

USERS = json.loads(open(os.environ["BENCH_LOCUST_USERS"]).read())  # noqa: SIM115 - read once
_NEXT = itertools.count()
PACE = float(os.environ.get("BENCH_PACE", "60"))
ACTIONS_AT = float(os.environ.get("BENCH_ACTIONS_AT", "0"))
ACTIONS_UNTIL = float(os.environ.get("BENCH_ACTIONS_UNTIL", "inf"))
SAFETY_NET = float(os.environ.get("BENCH_SAFETY_NET_SECONDS", "30"))
RECORDS: list[tuple[float, str, float, bool]] = []  # (moment, name, ms, ok)
STREAM = "event stream: open (until subscribed)"
HX = {"HX-Request": "true"}


@events.request.add_listener
def _record(
    name: str, response_time: float, exception: BaseException | None, **kwargs: object
) -> None:
    start = kwargs.get("start_time")
    moment = float(start) if isinstance(start, (int, float)) else time.time()
    RECORDS.append((moment, name, float(response_time), exception is None))


@events.quitting.add_listener
def _dump(**_: object) -> None:
    out = os.environ.get("BENCH_LOCUST_OUT")
    if out:
        with open(out, "w") as file:
            for record in RECORDS:
                file.write(json.dumps(record) + "\n")


def _why(response: Any, *, body: bool = False) -> str:
    """A failed request's cause: its status, or, when no answer came (status 0), the error the
    client met (refused, reset, timed out), so the report says which."""
    if response.status_code == 0:
        return f"no answer: {type(response.error).__name__}: {response.error}"[:300]
    return f"HTTP {response.status_code}" + (f": {response.text[:200]}" if body else "")


class Tenant(HttpUser):
    def wait_time(self) -> float:
        """Until this tenant's next slot, PACE seconds after the last one (locust's own
        constant_pacing does not wait at all after the first task: two actions at once)."""
        if not PACE:
            return 0.0
        self.next_at += PACE
        return max(0.0, self.next_at - time.time())

    def on_start(self) -> None:
        me = USERS[next(_NEXT) % len(USERS)]
        self.me = me
        self.client.cookies.set("sessionid", me["sessionid"])
        # As a browser does: a request that finds its kept-alive connection closed by the
        # server (uvicorn closes one idle for 5 s) before any answer is sent again, once, on a
        # new connection. Without it such a request counted as an error though the server never
        # saw it.
        self.client.mount(
            "http://",
            HTTPAdapter(
                max_retries=Retry(
                    total=1, connect=1, read=1, status=0, other=0, allowed_methods=None
                )
            ),
        )
        self.spare = list(me["spare_customer_gateways"])
        self.csrf = ""
        self.refreshing = False
        self.again = False
        self.open_tab()
        self.greenlets = [gevent.spawn(self.listen)]
        if PACE:
            self.greenlets.append(gevent.spawn(self.safety_net))
        delay = ACTIONS_AT - time.time()
        if PACE:
            delay += random.uniform(0, PACE)  # noqa: S311 - spreading load, not a secret
        if delay > 0:
            gevent.sleep(delay)
        self.next_at = time.time()

    def on_stop(self) -> None:
        gevent.killall(self.greenlets, block=False)

    # -- what the page does by itself ---------------------------------------------------------

    def open_tab(self, name: str = "open the VPN Connection tab (whole page)") -> None:
        with self.client.get(self.me["tab_url"], name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(_why(response))
                return
            marker = '"X-CSRFToken": "'
            at = response.text.find(marker)
            if at < 0:
                response.failure("no CSRF token in the page")
                return
            self.csrf = response.text[at + len(marker) : response.text.index('"', at + len(marker))]

    def listen(self) -> None:
        """The page's EventSource: one stream, its messages answered with a refresh."""
        session = requests.Session()
        session.cookies.set("sessionid", self.me["sessionid"])
        started = time.time()
        fired = False
        try:
            with session.get(
                self.host + self.me["events_url"],
                headers={"Accept": "text/event-stream"},
                stream=True,
                timeout=(10, 120),
            ) as response:
                if response.status_code != 200:
                    raise RuntimeError(f"HTTP {response.status_code}")
                buffer = b""
                for chunk in response.iter_content(chunk_size=None):
                    buffer += chunk
                    while b"\n\n" in buffer:
                        event, buffer = buffer.split(b"\n\n", 1)
                        if not fired and b"subscribed" in event:
                            fired = True
                            self._fire(STREAM, started, None)
                        for line in event.split(b"\n"):
                            if line.startswith(b"data: "):
                                self.on_message(json.loads(line[6:]))
            raise RuntimeError("the stream ended")
        except gevent.GreenletExit:
            raise
        except Exception as error:
            self._fire("event stream: lost", started, error)

    def _fire(self, name: str, started: float, error: BaseException | None) -> None:
        events.request.fire(
            request_type="SSE",
            name=name,
            response_time=(time.time() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
            start_time=started,
        )

    def on_message(self, message: dict) -> None:
        if message.get("refresh") or message.get("gateway") == self.me["gateway_id"]:
            self.refresh("fragment: refresh on an event")

    def refresh(self, name: str) -> None:
        """One refresh at a time; a message meanwhile asks for one more after it."""
        if self.refreshing:
            self.again = True
            return
        self.refreshing = True
        try:
            while True:
                self.again = False
                self._get(self.me["fragment_url"], name, headers=HX)
                if not self.again:
                    break
        finally:
            self.refreshing = False

    def safety_net(self) -> None:
        gevent.sleep(random.uniform(0, SAFETY_NET))  # noqa: S311 - a page's phase
        while True:
            gevent.spawn(self.refresh, "fragment: 30 s safety-net refresh")
            gevent.sleep(SAFETY_NET)

    # -- the tenant's actions -----------------------------------------------------------------

    def acting(self) -> bool:
        if time.time() < ACTIONS_UNTIL:
            return True
        gevent.sleep(max(1.0, PACE))  # the quiet minute: the page stays open, nothing else
        return False

    @task(2)
    def tab(self) -> None:
        if self.acting():
            self.open_tab()

    @task(1)
    def add(self) -> None:
        if not PACE or not self.spare:
            return self.reset()
        if self.acting():
            url = self.me["add_url"]
            self._get(url, "Add dialog", headers=HX)
            self._post(url, "Add dialog: OK", {"customer_gateway": self.spare.pop()})

    @task(2)
    def reset(self) -> None:
        if self.acting():
            url = random.choice(self.me["reset_urls"])  # noqa: S311 - not a secret
            self._get(url, "Reset dialog", headers=HX)
            self._post(url, "Reset dialog: OK", {})

    @task(1)
    def fragment(self) -> None:
        if not PACE and self.acting():  # stress only: a live page refreshes on events
            self.refresh("fragment: refresh on an event")

    def _get(self, url: str, name: str, **kwargs: object) -> None:
        with self.client.get(
            url, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != 200:
                response.failure(_why(response))

    def _post(self, url: str, name: str, data: dict) -> None:
        headers = {**HX, "X-CSRFToken": self.csrf}
        with self.client.post(
            url, data=data, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200 or b"errorlist" in response.content:
                response.failure(_why(response, body=True))
                return
            redirect = response.headers.get("HX-Redirect")
            trigger = response.headers.get("HX-Trigger", "")
        if redirect:
            self._get(redirect, "the tab again after OK (HX-Redirect)")
        elif "live-message" in trigger:
            gevent.spawn(self.refresh, "fragment: refresh on an event")
