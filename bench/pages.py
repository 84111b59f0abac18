"""Pages: server time and SQL queries of the list pages, and of the REST API's list endpoints,
with 10, 100, 1,000 and 10,000 rows; and of one connection's detail page with a year of history
(100,000 timeline events and a day of traffic samples): its newest page, a page half a year back
(a cursor from the middle, as the Older link gives) and its oldest page.

Each tenant here owns N VPCs, N customer gateways and one VPC whose VPN gateway has N
connections (rows only: their routers are on no network node, and the section runs with the
agents, the worker and beat stopped, so nothing touches them). A page is requested through
Django's whole stack in this process (the test Client: sessions, tenancy, CSP, templates; no
network), warmed up, then timed. The API is asked with a bearer token of the same user, as a
script would, for its first page (cursor pagination).
"""

from __future__ import annotations

import ipaddress
import time
from typing import TYPE_CHECKING

from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.stats import Results, Row, ms, p95_within, say
from bench.world import add_connections, customer_gateways, tenant

if TYPE_CHECKING:
    from portal.models import Account, User
    from vpn.models import VpnGateway

SIZES = (10, 100, 1000, 10_000)
HISTORY_EVENTS = 100_000
WARMUP = 3
RUNS = 30
# Router public IPs of rows that never reach a lab (the RFC 2544 benchmarking range).
_ADDRESSES = (str(ip) for ip in ipaddress.IPv4Network("198.19.0.0/16").hosts())


def populate(account: Account, n_vpcs: int, n_cgws: int, n_connections: int) -> VpnGateway:
    """Rows of one tenant; returns the VPN gateway holding `n_connections` connections."""
    from network.models import PublicIp, Router, Tier, Vpc
    from vpn.models import VpnGateway

    vpcs = Vpc.objects.bulk_create(
        [
            Vpc(account=account, name=f"vpc-{k:04d}", cidr=f"10.{k % 250}.0.0/16")
            for k in range(n_vpcs + 1)
        ]
    )
    Tier.objects.bulk_create(
        [
            Tier(
                vpc=vpc,
                name="web",
                cidr=vpc.cidr.replace(".0.0/16", ".1.0/24"),
                gateway=vpc.cidr.replace(".0.0/16", ".1.1"),
            )
            for vpc in vpcs
        ]
    )
    ips = PublicIp.objects.bulk_create([PublicIp(address=next(_ADDRESSES)) for _ in vpcs])
    Router.objects.bulk_create(
        [
            Router(vpc=vpc, source_nat_ip=ip, state="running")
            for vpc, ip in zip(vpcs, ips, strict=True)
        ]
    )
    gateway = VpnGateway.objects.create(vpc=vpcs[-1], public_ip=ips[-1].address)
    cgws = customer_gateways(
        account,
        [
            (f"cg-{k:04d}", f"203.0.113.{k % 250 + 1}", f"172.{16 + k // 256}.{k % 256}.0/24")
            for k in range(n_cgws)
        ],
    )
    add_connections(
        gateway,
        cgws[:n_connections],
        state="connected",
        state_reason="Connected.",
        bytes_in=123456,
        bytes_out=654321,
        packets_in=1000,
        packets_out=2000,
        negotiated="IKE AES_CBC-256/HMAC_SHA2_256_128/MODP_2048",
    )
    analyze()
    return gateway


def analyze() -> None:
    """Planner statistics and the visibility map for the rows just bulk-inserted, as
    autovacuum keeps them in production (since PostgreSQL 13 it also vacuums a table that
    only grows): without statistics PostgreSQL plans a freshly filled table as if it held one
    row (nested loops over 1,000 x 1,000 rows: a 270 ms page that takes 1 ms with them), and
    without the visibility map a COUNT cannot be answered from an index alone."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "network_vpc",
            "network_tier",
            "network_router",
            "vpn_vpngateway",
            "vpn_customergateway",
            "vpn_vpnconnection",
            "vpn_connectionevent",
            "vpn_trafficsample",
        ):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def pages(gateway: VpnGateway) -> dict[str, tuple[str, dict[str, str], dict[str, str]]]:
    """name → (path, query, headers)"""
    detail = gateway.get_absolute_url()
    return {
        "VPC list": (reverse("network:vpc-list"), {}, {}),
        "customer gateway list": (reverse("vpn:customer-gateway-list"), {}, {}),
        "VPN Connection tab": (detail, {"tab": "connections"}, {}),
        "status fragment (polled every 1 s)": (
            detail,
            {"tab": "connections", "fragment": "connections"},
            {"HX-Request": "true"},
        ),
    }


def api_lists() -> dict[str, str]:
    """name → path of the API's list endpoints (api/urls.py)."""
    return {
        "API: VPCs": reverse("api:vpc-list"),
        "API: customer gateways": reverse("api:customer-gateway-list"),
        "API: VPN connections": reverse("api:connection-list"),
    }


def bearer(account: Account, user: User) -> dict[str, str]:
    """The Authorization header of a new API token of this user."""
    from api.models import ApiToken, digest, new_token

    token = new_token()
    ApiToken.objects.create(
        account=account, user=user, name="bench", shown=token[:12], digest=digest(token)
    )
    return {"Authorization": f"Bearer {token}"}


def measure(client: Client, path: str, query: dict, headers: dict) -> tuple[list[float], int]:
    for _ in range(WARMUP):
        assert client.get(path, query, headers=headers).status_code == 200, path
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        response = client.get(path, query, headers=headers)
        times.append(ms(time.perf_counter() - t0))
        assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(db) as queries:
        client.get(path, query, headers=headers)
    return times, len(queries.captured_queries)


def run(results: Results) -> None:
    counts: dict[str, list[int]] = {}
    for n in SIZES:
        say(f"pages with {n:,} rows")
        account, user, client = tenant(f"pages-{n}")
        gateway = populate(account, n, n, n)
        token = bearer(account, user)
        every = dict(pages(gateway))
        every.update({name: (path, {}, token) for name, path in api_lists().items()})
        for name, (path, query, headers) in every.items():
            times, queries = measure(client, path, query, headers)
            counts.setdefault(name, []).append(queries)
            results.add(
                Row(
                    "6. Pages",
                    f"{name}, {n:,} rows",
                    "ms",
                    times,
                    target="p95 ≤ 100 ms",
                    check=p95_within(100),
                    note=f"{queries} SQL queries",
                    limit=_limit(name),
                )
            )
    for name, numbers in counts.items():
        results.add(
            Row(
                "6. Pages",
                f"{name}: SQL queries at " + " / ".join(f"{n:,}" for n in SIZES) + " rows",
                "queries",
                [float(q) for q in numbers],
                target="does not grow with rows",
                check=lambda r: len(set(r.samples)) == 1,
                text=" / ".join(str(q) for q in numbers),
                limit="a query per row (an N+1) in the view or its template",
            )
        )
    history(results)


def history(results: Results) -> None:
    """The detail page of a connection with HISTORY_EVENTS events over a year (an event every
    ~5 minutes: rekeys, and a drop and recovery about once a day), and a sample a minute for
    the last day."""
    from datetime import timedelta

    from django.utils import timezone

    from vpn.models import ConnectionEvent, TrafficSample, VpnConnection
    from vpn.timeline import Cursor

    say(f"connection detail page with {HISTORY_EVENTS:,} events")
    account, _, client = tenant("pages-history")
    gateway = populate(account, 1, 1, 1)
    connection = VpnConnection.objects.get(gateway=gateway)
    now, step = timezone.now(), timedelta(days=365) / HISTORY_EVENTS
    ConnectionEvent.objects.bulk_create(
        (
            ConnectionEvent(
                connection=connection,
                at=now - step * n,
                kind="down" if n % 500 == 1 else ("up" if n % 500 == 0 else "rekey"),
                state="disconnected" if n % 500 == 1 else "connected",
                reason="The tunnel went down; trying to reach 203.0.113.1 again.",
            )
            for n in range(HISTORY_EVENTS)
        ),
        batch_size=5000,
    )
    TrafficSample.objects.bulk_create(
        TrafficSample(
            connection=connection,
            at=now - timedelta(minutes=m),
            bytes_in=(1440 - m) * 10_000,
            bytes_out=(1440 - m) * 5_000,
        )
        for m in range(1440)
    )
    analyze()
    path = connection.get_detail_url()
    middle = connection.events.order_by("-at", "-id")[HISTORY_EVENTS // 2]
    for name, query in (
        ("newest page", {}),
        ("a page half a year back", {"before": str(Cursor.of(middle))}),
        ("oldest page", {"oldest": "1"}),
    ):
        times, queries = measure(client, path, query, {})
        results.add(
            Row(
                "6. Pages",
                f"connection detail, {HISTORY_EVENTS:,} events, {name}",
                "ms",
                times,
                target="p95 ≤ 100 ms",
                check=p95_within(100),
                note=f"{queries} SQL queries",
                limit=HISTORY_LIMIT,
            )
        )


# What limits each figure, measured at 10,000 rows (in this process, best of 40 requests; the
# template time by timing Django's Template.render, SQL from CaptureQueriesContext).
LIMITS = {
    "VPC list": (
        "templates ~14 of ~24 ms (50 rows: two badges, one link each), SQL ~3 ms: the "
        "paginator's and the quota's COUNT of the account's VPCs grow with them (index-only)"
    ),
    "customer gateway list": (
        "templates ~9 of ~20 ms, SQL ~3 ms (the same two COUNTs); the crypto policy is read "
        "once a page (it was one cache round trip a row, ~70% of the page)"
    ),
    "VPN Connection tab": (
        "templates ~34 of ~53 ms (a row: badge, timesince, two filesizeformats, four URLs from "
        "one reverse each a page), SQL ~12 ms, most of it the paginator's COUNT joining every "
        "connection of the gateway to its customer gateway (the tenant check); next step: a "
        "COUNT capped at what the page links need"
    ),
    "status fragment (polled every 1 s)": (
        "as the tab without its quota COUNT: templates ~2/3, SQL ~1/4 (the paginator's COUNT)"
    ),
}
HISTORY_LIMIT = (
    "no COUNT and no OFFSET any more (keyset: one read of 51 rows on the (connection, at) "
    "index, as cheap a year back); of ~50 ms: templates ~14, SQL ~9 (10 queries), the charts' "
    "Python ~7 (traffic summed per bar by PostgreSQL), the rest Django's middleware"
)


def _limit(name: str) -> str:
    if name.startswith("API"):
        return "serializing the page's rows (DRF), one page of the cursor pagination"
    return LIMITS[name]
