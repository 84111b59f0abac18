"""Load: locust (headless) with 50 tenants against gunicorn on 127.0.0.1, for 60 s.

gunicorn runs as the production image runs it (3 sync workers, portal.wsgi) and only listens
on 127.0.0.1; locust only targets it, stops by itself after its run time, and each tenant
sends about one request a second (the status poll of an open page plus some browsing). A
short second run without think time shows the capacity of this machine.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import urllib.request

from django.urls import reverse

from bench.env import OUT, python
from bench.pages import populate
from bench.stack import Stack
from bench.stats import Results, Row, p95_within, say, wait_until
from bench.world import tenant

TENANTS = 50
RUN_TIME = 60
SATURATION_TIME = 20
WORKERS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status == 200
    except OSError:
        return False


def run(results: Results, stack: Stack) -> None:
    say(f"load: {TENANTS} tenants, gunicorn with {WORKERS} workers, locust for {RUN_TIME} s")
    users = []
    for n in range(TENANTS):
        account, _user, client = tenant(f"tenant-{n:02d}")
        gateway = populate(account, 3, 5, 5)
        users.append(
            {
                "sessionid": client.cookies["sessionid"].value,
                "gateway_url": gateway.get_absolute_url(),
                "configure_url": reverse("network:vpc-configure", args=[gateway.vpc_id]),
            }
        )
    users_file = OUT / "locust-users.json"
    users_file.write_text(json.dumps(users))
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    stack.spawn(
        "gunicorn",
        [
            python(),
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
        ],
    )
    try:
        wait_until(lambda: _answers(f"{host}/healthz"), 30, every=0.2, what="gunicorn")
        figures = _locust(host, users_file, "steady", RUN_TIME, think=True)
        _rows(results, figures, f"{TENANTS} tenants, ~1 request/s each, {RUN_TIME} s", True)
        figures = _locust(host, users_file, "saturation", SATURATION_TIME, think=False)
        _rows(results, figures, f"{TENANTS} tenants, no think time, {SATURATION_TIME} s", False)
    finally:
        stack.stop("gunicorn")


def _locust(host: str, users_file, label: str, seconds: int, *, think: bool) -> dict:
    prefix = OUT / f"locust-{label}"
    argv = [
        python(),
        "-m",
        "locust",
        "-f",
        "bench/locustfile.py",
        "--headless",
        "--users",
        str(TENANTS),
        "--spawn-rate",
        str(TENANTS),
        "--run-time",
        f"{seconds}s",
        "--host",
        host,
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "5",
        "--loglevel",
        "WARNING",
    ]
    env = {
        **os.environ,
        "BENCH_LOCUST_USERS": str(users_file),
        "BENCH_THINK": "1" if think else "0",
    }
    say(f"  locust {label}: {seconds} s")
    with open(OUT / f"locust-{label}.log", "wb") as log:
        subprocess.run(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 60, check=False
        )
    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    return rows


def _rows(results: Results, stats: dict, label: str, targets: bool) -> None:
    total = stats["Aggregated"]
    requests = int(total["Request Count"])
    failures = int(total["Failure Count"])
    rps = float(total["Requests/s"])
    group = "7. Load"
    results.add(Row(group, f"{label}: requests per second", "req/s", given=(rps, rps, requests)))
    results.add(
        Row(
            group,
            f"{label}: response time, all requests",
            "ms",
            given=(float(total["50%"]), float(total["95%"]), requests),
            target="p95 ≤ 100 ms" if targets else "",
            check=p95_within(100) if targets else None,
            limit="gunicorn's 3 sync workers and PostgreSQL share 2 cores with locust itself",
        )
    )
    results.add(
        Row(
            group,
            f"{label}: errors",
            "count",
            given=(float(failures), float(failures), requests),
            target="0",
            check=lambda r: r.median == 0,
            limit="see bench/out/locust-*.log",
        )
    )
    per_page = {
        name: (float(row["50%"]), float(row["95%"]), int(row["Request Count"]))
        for name, row in stats.items()
        if name != "Aggregated"
    }
    results.facts.setdefault("load", {})[label] = {
        "requests": requests,
        "failures": failures,
        "rps": rps,
        "per_page_p50_p95_count": per_page,
    }
