"""Load (issue 14 target 6): TENANTS tenants, each with a live page open and about one action a
minute, against the portal as production serves it (uvicorn, portal.asgi, WEB_WORKERS workers as
the image runs it) on 127.0.0.1.

Each tenant is its own account with one user (a session made here, so no login is timed), one
VPC whose VPN gateway has CONNECTIONS connections, and SPARE customer gateways it can still
connect; all rows are written in bulk (their routers are on no network node: the section runs
with the agents, the worker and beat stopped, so an action's message to a router is not sent).
Locust (bench/locustfile.py) plays the tenants: each opens the VPN Connection tab and holds its
event stream as the page does, refreshes the connections fragment on a message for its gateway
and every 30 s (the page's safety net), and acts once a minute at a random moment (open the tab
again, add a connection, reset one) for ACTION_SECONDS. Then the pages stay open and idle for
QUIET_SECONDS, while the server's CPU is read from /proc (its processes' CPU seconds ÷ wall
seconds). A short run without think time shows what this machine serves at most.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

from bench import procs
from bench.env import OUT, ROOT, python
from bench.stack import Stack
from bench.stats import Results, Row, p95_within, percentile, say, wait_until

if TYPE_CHECKING:
    from portal.models import User

TENANTS = 200
CONNECTIONS = 3
SPARE = 3
WEB_WORKERS = 3  # as docker/Dockerfile runs uvicorn
SPAWN_RATE = 5  # tenants opening their page per second (200 within 40 s)
ACTION_SECONDS = 60
QUIET_SECONDS = 60
STRESS_SECONDS = 20
STRESS_SPAWN_RATE = 20
SERVER = "uvicorn-load"
GROUP = "7. Load"
STREAM = "event stream: open (until subscribed)"
# Router public IPs of these rows, which never reach a lab (past the pages section's).
_ROUTER_IPS = "198.19.200.0/21"


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


def run(results: Results, stack: Stack) -> None:
    from portal import processes

    say(f"load: {TENANTS} tenants, uvicorn with {WEB_WORKERS} workers")
    started = time.monotonic()
    users = tenants(TENANTS)
    results.facts["load_setup_seconds"] = round(time.monotonic() - started, 1)
    users_file = OUT / "locust-users.json"
    users_file.write_text(json.dumps(users))
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    static = {"STATIC_ROOT": str(OUT / "static")}  # as bench/live.py: collected, as the image
    subprocess.run(
        [python(), str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
        env={**os.environ, **static},
        check=True,
    )
    server = stack.spawn(SERVER, processes.web("127.0.0.1", port, workers=WEB_WORKERS), env=static)
    try:
        wait_until(lambda: _answers(f"{host}/healthz"), 60, every=0.2, what=SERVER)
        wait_until(
            lambda: len(procs.descendants(server.pid)) >= WEB_WORKERS,
            30,
            every=0.2,
            what=f"{WEB_WORKERS} uvicorn workers",
        )
        time.sleep(2)  # every worker has imported the application
        live_minute(results, host, users_file, server.pid)
        stress(results, host, users_file)
    finally:
        stack.stop(SERVER)


def tenants(count: int) -> list[dict[str, object]]:
    """`count` tenants in bulk, each with a logged-in session; what locust needs of each."""
    import ipaddress

    from django.contrib.auth import get_user_model

    from bench.pages import analyze
    from bench.world import PSK
    from network.models import PublicIp, Router, Tier, Vpc
    from portal.models import Account
    from vpn import crypto
    from vpn.models import CustomerGateway, VpnConnection, VpnGateway

    accounts = Account.objects.bulk_create([Account(name=f"load-{k:03d}") for k in range(count)])
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"load-{k:03d}", account=account, password="!")
            for k, account in enumerate(accounts)
        ]
    )
    vpcs = Vpc.objects.bulk_create(
        [Vpc(account=account, name="load", cidr="10.0.0.0/16") for account in accounts]
    )
    Tier.objects.bulk_create(
        [Tier(vpc=vpc, name="web", cidr="10.0.1.0/24", gateway="10.0.1.1") for vpc in vpcs]
    )
    addresses = ipaddress.IPv4Network(_ROUTER_IPS).hosts()
    ips = PublicIp.objects.bulk_create([PublicIp(address=str(next(addresses))) for _ in vpcs])
    Router.objects.bulk_create(
        [
            Router(vpc=vpc, source_nat_ip=ip, state="running")
            for vpc, ip in zip(vpcs, ips, strict=True)
        ]
    )
    gateways = VpnGateway.objects.bulk_create(
        [VpnGateway(vpc=vpc, public_ip=ip.address) for vpc, ip in zip(vpcs, ips, strict=True)]
    )
    encrypted = crypto.encrypt(PSK)
    per_tenant = CONNECTIONS + SPARE
    cgws = CustomerGateway.objects.bulk_create(
        [
            CustomerGateway(
                account=account,
                name=f"site-{j}",
                gateway_ip=f"203.0.113.{j + 1}",
                cidr_list=f"192.168.{j}.0/24",
                psk_encrypted=encrypted,
                psk_length=len(PSK),
            )
            for account in accounts
            for j in range(per_tenant)
        ],
        batch_size=1000,
    )
    by_account: dict[int, list[CustomerGateway]] = defaultdict(list)
    for cgw in cgws:
        by_account[cgw.account_id].append(cgw)
    connections = VpnConnection.objects.bulk_create(
        [
            VpnConnection(
                gateway=gateway,
                customer_gateway=cgw,
                state="connected",
                state_reason="Connected.",
                negotiated="IKE AES_CBC-256/HMAC_SHA2_256_128/MODP_2048",
            )
            for account, gateway in zip(accounts, gateways, strict=True)
            for cgw in by_account[account.pk][:CONNECTIONS]
        ],
        batch_size=1000,
    )
    analyze()
    by_gateway: dict[int, list[int]] = defaultdict(list)
    for connection in connections:
        by_gateway[connection.gateway_id].append(connection.pk)
    sessions = _sessions(users)
    out = []
    for account, session, gateway in zip(accounts, sessions, gateways, strict=True):
        tab = gateway.get_absolute_url() + "?tab=connections"
        out.append(
            {
                "sessionid": session,
                "gateway_id": gateway.pk,
                "tab_url": tab,
                "fragment_url": tab + "&fragment=connections",
                "events_url": reverse("vpn:events"),
                "add_url": reverse("vpn:connection-add", args=[gateway.pk]),
                "reset_urls": [
                    reverse("vpn:connection-reset", args=[pk]) for pk in by_gateway[gateway.pk]
                ],
                "spare_customer_gateways": [c.pk for c in by_account[account.pk][CONNECTIONS:]],
            }
        )
    return out


def _sessions(users: list[User]) -> list[str]:
    """A logged-in session of each user, written in bulk: what `login()` stores (the user, the
    backend that authenticated them, their password's hash), as Django's test Client's
    force_login does one at a time."""
    from datetime import timedelta

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    store = SessionStore()
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys = [get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789") for _ in users]
    Session.objects.bulk_create(
        [
            Session(
                session_key=key,
                session_data=store.encode(
                    {
                        SESSION_KEY: str(user.pk),
                        BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                        HASH_SESSION_KEY: user.get_session_auth_hash(),
                    }
                ),
                expire_date=expires,
            )
            for key, user in zip(keys, users, strict=True)
        ]
    )
    return keys


def _locust(
    host: str,
    users_file: Path,
    label: str,
    seconds: float,
    env: dict[str, str],
    spawn_rate: int = SPAWN_RATE,
) -> tuple[subprocess.Popen[bytes], Path]:
    out = OUT / f"locust-{label}.jsonl"
    out.unlink(missing_ok=True)
    argv = [
        python(),
        *("-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless"),
        *("--users", str(TENANTS), "--spawn-rate", str(spawn_rate)),
        *("--run-time", f"{round(seconds)}s", "--host", host, "--only-summary"),
        *("--stop-timeout", "5", "--loglevel", "WARNING"),
        *("--csv", str(OUT / f"locust-{label}")),
    ]
    env = {
        **os.environ,
        **env,
        "BENCH_LOCUST_USERS": str(users_file),
        "BENCH_LOCUST_OUT": str(out),
        "BENCH_SAFETY_NET_SECONDS": str(settings.PORTAL["STATUS_POLL_SECONDS"]),
    }
    say(f"  locust {label}: {seconds:.0f} s")
    log = open(OUT / f"locust-{label}.log", "wb")  # noqa: SIM115 - closed with the child
    child = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    return child, out


def _failure_kinds(label: str) -> list[str]:
    """Locust's own count of each failure (request name, the cause it reported)."""
    path = OUT / f"locust-{label}_failures.csv"
    if not path.exists():
        return []
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    rows.sort(key=lambda row: -int(row["Occurrences"]))
    return [f"{row['Name']} ({row['Occurrences']}): {row['Error']}" for row in rows]


def _records(path: Path) -> list[tuple[float, str, float, bool]]:
    if not path.exists():
        return []
    return [tuple(json.loads(line)) for line in path.read_text().splitlines() if line]


def live_minute(results: Results, host: str, users_file: Path, server_pid: int) -> None:
    spawn = TENANTS / SPAWN_RATE + 10  # every page open (and its stream) before anyone acts
    actions_at = time.time() + spawn
    actions_until = actions_at + ACTION_SECONDS
    child, out = _locust(
        host,
        users_file,
        "live",
        spawn + ACTION_SECONDS + QUIET_SECONDS + 10,
        {
            "BENCH_PACE": str(ACTION_SECONDS),
            "BENCH_ACTIONS_AT": str(actions_at),
            "BENCH_ACTIONS_UNTIL": str(actions_until),
        },
    )
    try:
        # The action minute: what the server spends per request (CPU seconds of its processes).
        time.sleep(max(0.0, actions_at - time.time()))
        pids = [server_pid, *procs.descendants(server_pid)]
        busy = procs.sample({"server": pids, "locust": [child.pid]}, ACTION_SECONDS)
        # The quiet minute: every page open and idle (only their 30 s safety net), the
        # last actions answered.
        time.sleep(max(0.0, actions_until + 3 - time.time()))
        quiet_from = time.time()
        usage = procs.sample({"server": pids, "locust": [child.pid]}, QUIET_SECONDS - 5)
        quiet_until = time.time()
        child.wait(QUIET_SECONDS + 60)
    finally:
        if child.poll() is None:
            child.terminate()
            child.wait(10)
    records = _records(out)
    if not records:
        raise RuntimeError(f"locust recorded nothing; see {OUT / 'locust-live.log'}")
    acting = [r for r in records if actions_at <= r[0] < actions_until and r[1] != STREAM]
    quiet = [r for r in records if quiet_from <= r[0] < quiet_until]
    streams = [r for r in records if r[1] == STREAM]
    lost = [r for r in records if r[1] == "event stream: lost" and r[0] < quiet_until]
    failures = [r for r in records if not r[3] and r[0] < quiet_until]
    times = [r[2] for r in acting if r[3]]
    cpu_ms = busy["server"].cpu_share * ACTION_SECONDS * 1000 / max(1, len(acting))
    label = f"{TENANTS} tenants, a live page each, ~1 action a minute"
    results.add(
        Row(
            GROUP,
            f"{label}: requests per second",
            "req/s",
            [len(acting) / ACTION_SECONDS],
            note=(
                f"{len(acting)} requests in the {ACTION_SECONDS} s of actions: the actions, "
                "the pages' refreshes on their events and their 30 s safety net; "
                f"{len(streams)} event streams open throughout"
            ),
        )
    )
    results.add(
        _latency(
            f"{label}: response time, every request",
            times,
            target="p95 ≤ 300 ms",
            check=p95_within(300),
            note=(
                f"uvicorn with {WEB_WORKERS} workers (portal.asgi, production settings); "
                "locust, PostgreSQL and Redis on the same 2 cores. Counted from /proc: the "
                f"server spent {cpu_ms:.0f} ms of CPU per request ("
                f"{100 * busy['server'].cpu_share:.0f} % of one core), locust "
                f"{100 * busy['locust'].cpu_share:.0f} %"
            ),
            limit=(
                "the server's CPU per request (see the note): each request's synchronous view "
                "runs in a thread of its own with a new PostgreSQL connection (CONN_MAX_AGE 0 "
                "under ASGI), and a burst queues threads that each hold a connection; on a "
                "busy machine they took every slot of PostgreSQL's 100 (HTTP 500s)"
            ),
        )
    )
    results.add(
        Row(
            GROUP,
            f"{label}: errors (failed requests and lost event streams)",
            "count",
            [float(len(failures))],
            target="0",
            check=lambda r: r.median == 0,
            note=", ".join(sorted({r[1] for r in failures})) or "",
            limit=f"see bench/out/locust-live.log and {SERVER}.log",
        )
    )
    server, client = usage["server"], usage["locust"]
    results.add(
        Row(
            GROUP,
            f"{TENANTS} idle live pages: the server's CPU",
            "%",
            [round(100 * server.cpu_share, 2)],
            target="",
            note=(
                f"% of one core, uvicorn's {len(pids)} processes (CPU seconds ÷ wall seconds "
                f"from /proc over {quiet_until - quiet_from:.0f} s) while {len(streams)} "
                f"streams stay open with nothing to say; {len(quiet)} requests meanwhile, all "
                "the pages' 30 s safety-net refresh; the server's memory "
                f"{server.pss_kib / 1024:.0f} MiB (PSS)"
            ),
        )
    )
    per_name: dict[str, list[float]] = defaultdict(list)
    for record in acting:
        per_name[record[1]].append(record[2])
    results.facts["load_live"] = {
        "requests_in_action_minute": len(acting),
        "requests_in_quiet_minute": len(quiet),
        "streams_opened": len(streams),
        "streams_lost": len(lost),
        "failures": [r[1] for r in failures],
        "server_cpu_percent_quiet": round(100 * server.cpu_share, 2),
        "server_pss_mib": round(server.pss_kib / 1024, 1),
        "locust_cpu_percent_quiet": round(100 * client.cpu_share, 2),
        "server_cpu_percent_actions": round(100 * busy["server"].cpu_share, 1),
        "locust_cpu_percent_actions": round(100 * busy["locust"].cpu_share, 1),
        "server_cpu_ms_per_request_actions": round(cpu_ms, 1),
        "per_request_p50_p95_count": {
            name: [round(percentile(v, 0.5), 1), round(percentile(v, 0.95), 1), len(v)]
            for name, v in sorted(per_name.items())
        },
        "stream_open_p50_p95_ms": [
            round(percentile([r[2] for r in streams], 0.5), 1),
            round(percentile([r[2] for r in streams], 0.95), 1),
        ]
        if streams
        else None,
    }
    for name in ("Add dialog: OK", "Reset dialog: OK", "fragment: refresh on an event"):
        samples = per_name.get(name)
        if samples:
            results.add(_latency(f"{label}: of which {name}", samples))


def _latency(metric: str, times: list[float], **kwargs: Any) -> Row:
    """A row of response times (ms) whose median and p95 are computed here."""
    figures = (percentile(times, 0.5), percentile(times, 0.95), len(times))
    return Row(GROUP, metric, "ms", given=figures, **kwargs)


def stress(results: Results, host: str, users_file: Path) -> None:
    """No think time, every page's stream open: the most this machine serves."""
    spawn = TENANTS / STRESS_SPAWN_RATE + 5
    actions_at = time.time() + spawn
    child, out = _locust(
        host,
        users_file,
        "stress",
        spawn + STRESS_SECONDS,
        {"BENCH_PACE": "0", "BENCH_ACTIONS_AT": str(actions_at)},
        spawn_rate=STRESS_SPAWN_RATE,
    )
    try:
        child.wait(spawn + STRESS_SECONDS + 60)
    finally:
        if child.poll() is None:
            child.terminate()
            child.wait(10)
    records = [r for r in _records(out) if r[0] >= actions_at and r[1] != STREAM]
    ended = max((r[0] for r in records), default=actions_at)
    seconds = max(1.0, ended - actions_at)
    times = [r[2] for r in records if r[3]]
    failures = [r for r in records if not r[3]]
    label = f"{TENANTS} tenants, no think time"
    results.add(
        Row(
            GROUP,
            f"{label}: requests per second",
            "req/s",
            [len(records) / seconds],
            note="tab, fragment and reset back to back; every page's stream open",
        )
    )
    if times:
        results.add(_latency(f"{label}: response time, every request", times))
    results.add(
        Row(
            GROUP,
            f"{label}: errors",
            "count",
            [float(len(failures))],
            note="; ".join(_failure_kinds("stress")),
        )
    )
    results.facts["load_stress_failures"] = len(failures)
