"""Locust: tenants with the VPN Connection tab open (its status fragment polled every second,
as the page's htmx does) who now and then browse their VPCs and customer gateways.

Run by bench/load.py; each simulated tenant takes the session of one real tenant user from
the file named by BENCH_LOCUST_USERS (sessions made by the benchmark, so no login is timed).
BENCH_THINK=0 removes the think time (a saturation run).
"""

import itertools
import json
import os

from locust import HttpUser, between, constant, task

USERS = json.loads(open(os.environ["BENCH_LOCUST_USERS"]).read())  # noqa: SIM115 - read once
_NEXT = itertools.count()
THINK = os.environ.get("BENCH_THINK", "1") != "0"


class Tenant(HttpUser):
    wait_time = between(0.5, 1.5) if THINK else constant(0)

    def on_start(self) -> None:
        me = USERS[next(_NEXT) % len(USERS)]
        self.client.cookies.set("sessionid", me["sessionid"])
        self.gateway_url = me["gateway_url"]
        self.configure_url = me["configure_url"]

    def _get(self, url: str, name: str, **kwargs: object) -> None:
        with self.client.get(
            url, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(6)
    def poll_status(self) -> None:
        self._get(
            f"{self.gateway_url}?tab=connections&fragment=connections",
            "status fragment (htmx poll)",
            headers={"HX-Request": "true"},
        )

    @task(1)
    def connection_tab(self) -> None:
        self._get(f"{self.gateway_url}?tab=connections", "VPN Connection tab")

    @task(1)
    def vpc_list(self) -> None:
        self._get("/network/vpcs/", "VPC list")

    @task(1)
    def customer_gateways(self) -> None:
        self._get("/network/customer-gateways/", "customer gateway list")

    @task(1)
    def vpc_configure(self) -> None:
        self._get(self.configure_url, "VPC configuration page")
