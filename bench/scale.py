"""Scale on one router: N = 10, 100 and 1,000 connections on one VPN gateway, each to its own
customer gateway, against the same N loaded the way ipsec.conf-based systems do it.

The router lives on a network node like any other: the scheduler places it, the node's agent
builds it, pushes and reconciles its connections (messages on the node's queue, sent by the
portal's actions and queue helper) and follows it with its monitor.

One customer site ("many") holds every customer gateway's public IP (198.18.0.0/15, the RFC
2544 benchmarking range) and one charon, loaded with the portal's device configuration of every
connection, as N customers would load their downloads. For each N a fresh VPC (and so a fresh
router charon) is built and measured:

- cold reconcile: one reconcile message to the router's node → all N conns loaded → all N
  Connected;
- one more connection with N there: commit → its conn loaded in charon (target ≤ 100 ms,
  independent of N: the add pushes only its own connection) → Connected;
- a list-sas status sweep (what the agent's `converge.sweep_router` does, timed in this
  process: list-sas of the router, then every state recorded);
- the router's charon killed (kill -9); the agent's supervision starts it again and its monitor
  asks for a reconcile → all N loaded and Connected again;
- the baseline: a second router charon ("base", its cable pulled so its initiations go nowhere)
  gets the same N connections as one swanctl.conf loaded with `swanctl --load-all`: cold, and
  rewritten with N + 1 for the one more connection;
- the cold load under the same conditions for both (issue 14): with the links down (ours: a
  second fresh router whose cable is pulled before its connections arrive; the baseline as
  above), and with both live (the baseline's cable plugged in and the site loaded with the
  devices' configuration pointing at it, once ours is gone; ours is the cold reconcile above).
  "Loaded" is, for ours, the reconcile message until charon lists every conn, for the baseline
  swanctl's whole run; "up" is Connected in the database for ours (the monitor wrote it), the
  last CHILD_SA's child-updown event for the baseline.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import os
import statistics
import threading
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import vici
from django.db import transaction
from django.test import Client

from bench import procs
from bench.stack import Stack, heartbeats
from bench.stats import Results, Row, ms, p95_within, say, wait_until
from bench.swanctl import router_conf
from bench.world import (
    SCALE_IPS,
    add_connections,
    conn_names,
    customer_gateways,
    has_conn,
    lab_vpc,
    node_of,
    router_host,
    router_name,
    router_uri,
    state_is,
    tenant,
    vpn_gateway,
)

if TYPE_CHECKING:
    from agent.driver import Host

SIZES: tuple[int, ...] = (10, 100, 1000)
# For a quicker look at one size while working on it: BENCH_SCALE_SIZES=1000 (never published:
# the lead's `make bench` runs every size).
if os.environ.get("BENCH_SCALE_SIZES"):
    SIZES = tuple(int(n) for n in os.environ["BENCH_SCALE_SIZES"].split(","))
RESTARTS = {10: 3, 100: 3, 1000: 5}
BASELINE_COLD = {10: 5, 100: 5, 1000: 3}
COLD_DOWN_RUNS = {10: 1, 100: 1, 1000: 3}  # ours, link down: a fresh router each run
ONE_MORE = 20  # runs of "one more connection" (a p95 over 10 runs is their maximum)
SWEEPS = 5
# The portal's worker runs with automatic failover off while the scale section runs. A node
# agent heartbeats from the loop that also sweeps its routers, and at N=1,000 that loop held
# the heartbeat for 15 s on a quiet machine (60 s on a busy one), so the portal moved the
# healthy scale router to the other node mid-measurement, with 15 s and with 60 s alike. The
# oldest heartbeat is reported per size against the production NETWORK_NODE_DOWN_AFTER.
SCALE_WORKER_SETTINGS = {"NETWORK_AUTO_FAILOVER": "0"}
SITE = "many"
BASE = "base"
BASE_IP = "198.51.100.200"
BASE_INSIDE = ("10.250.1.0/24", "10.250.1.1")


def loaded_how() -> str:
    from agent.converge import BULK_LOADS

    return (
        "'loaded' is the end of the worker's bulk load (its mark, agent.loading), then checked "
        f"in charon; below {BULK_LOADS} conns, charon's conns polled every 20 ms"
    )


def _heartbeat() -> str:
    from django.conf import settings

    return f"{settings.NETWORK_AGENT['HEARTBEAT_SECONDS']:g}"


def _cidr(index: int) -> str:
    return f"172.{16 + index // 256}.{index % 256}.0/24"


def _host(index: int) -> str:
    return f"172.{16 + index // 256}.{index % 256}.1"


# The host-wide kernel settings the README asks of a node (README, "Network nodes", step 6),
# set while the scale sections run and restored after:
# - every namespace's ARP entries count against one kernel-wide neighbour table (1,024 entries
#   by default): a router talking to 1,005 customer addresses would overflow it and lose peers;
# - the default socket receive buffer (208 KiB; it cannot be set per namespace): a restarted
#   router's charon gets a thousand answers at once and the kernel drops what does not fit,
#   each drop a retransmit a second or more later (counted in the restart's facts).
NODE_SYSCTLS = {
    "net.ipv4.neigh.default.gc_thresh1": "4096",
    "net.ipv4.neigh.default.gc_thresh2": "8192",
    "net.ipv4.neigh.default.gc_thresh3": "16384",
    "net.core.rmem_default": "2097152",
}


def run(results: Results, stack: Stack) -> None:
    """The scale section, with a node's kernel settings (NODE_SYSCTLS) while it runs, and
    the portal's worker's automatic failover off (see SCALE_WORKER_SETTINGS)."""
    from django.conf import settings

    saved = {key: _sysctl(key) for key in NODE_SYSCTLS}
    results.facts["scale_worker_settings"] = SCALE_WORKER_SETTINGS
    stack.start_worker(**SCALE_WORKER_SETTINGS)
    try:
        for key, value in NODE_SYSCTLS.items():
            _sysctl(key, value)
        results.facts["node_sysctls_during_scale"] = NODE_SYSCTLS
        _run(results, stack, float(settings.NETWORK_NODE_DOWN_AFTER))
    finally:
        for key, value in saved.items():
            _sysctl(key, value)
        stack.start_worker()


def _sysctl(key: str, value: str | None = None) -> str:
    path = Path("/proc/sys") / key.replace(".", "/")
    if value is not None:
        path.write_text(value)
    return path.read_text().strip()


class RouterMoved(RuntimeError):
    """The scale router was failed over to another node mid-measurement: its node missed its
    heartbeats (see the heartbeat ages in the message)."""


def _run(results: Results, stack: Stack, down_after: float) -> None:
    from lab.world import world

    account, _user, client = tenant("scale")
    total = max(SIZES) + ONE_MORE
    addresses = [str(ip) for _, ip in zip(range(total), SCALE_IPS.hosts(), strict=False)]
    rows = [(f"cg-{k:04d}", addresses[k], _cidr(k)) for k in range(total)]
    cgws = customer_gateways(account, rows)
    assert [c.name for c in cgws] == [r[0] for r in rows]
    say(f"scale: one customer site with {total} public IPs, and the baseline router")
    started = time.monotonic()
    # One inside address in each customer network: charon's kernel-libipsec routes a tunnel
    # from an address of its own inside the local traffic selector.
    subnets = [(_cidr(k), _host(k)) for k in range(total)]
    world().add_site(SITE, addresses, subnets, many_devices=True)
    results.facts["scale_site_seconds"] = round(time.monotonic() - started, 1)
    world().add_router(BASE, BASE_IP, [BASE_INSIDE])
    world().set_link(BASE, False)
    try:
        for index, n in enumerate(SIZES):
            with heartbeats() as watch:
                try:
                    one_size(results, stack, client, cgws[:n], cgws[max(SIZES) :], n, index)
                finally:
                    ages = results.facts.setdefault("scale_max_heartbeat_age_seconds", {})
                    ages[f"N={n}"] = watch.stop()
            node = results.facts["scale_node"][f"N={n}"]
            results.add(
                Row(
                    f"5. Scale N={n:,}",
                    "the router's node: its oldest heartbeat meanwhile",
                    "s",
                    [ages[f"N={n}"][node]],
                    target=f"< {down_after:g} s (NETWORK_NODE_DOWN_AFTER)",
                    check=lambda r: r.p95 < down_after,
                    note=f"heartbeat every {_heartbeat()} s; older means the node counts as down",
                    limit=(
                        "the agent heartbeats from the same loop that runs its list-sas sweep "
                        "(agent/management/commands/network_agent.py); while N connections "
                        "change state, one sweep records them one by one and the heartbeat "
                        f"waits. Past {down_after:g} s the portal fails the healthy router over "
                        "to the other node, and back when that node's heartbeat stalls in turn "
                        "(seen here; this section runs the portal's worker with automatic "
                        "failover off so that it can measure at all)"
                    ),
                )
            )
    finally:
        world().remove(SITE)
        world().remove(BASE)


def one_size(
    results: Results, stack: Stack, client: Client, cgws: list, extras: list, n: int, index: int
) -> None:
    from agent.converge import observe
    from lab.world import world
    from network.actions import delete_vpc
    from network.models import Router
    from vpn.actions import create_connection, delete_gateway
    from vpn.models import VpnConnection
    from vpn.queues import enqueue_reconcile
    from vpn.specs import connections_of_router, spec_for
    from vpn.strongswan.errors import RouterUnreachable
    from vpn.strongswan.session import open_session

    say(f"scale N={n}: fresh VPC, {n} connections")
    group = f"5. Scale N={n:,}"
    vpc = lab_vpc(stack, cgws[0].account, f"scale-{n}", 100 + index)
    gateway = vpn_gateway(client, vpc)
    router, uri = vpc.router, router_uri(stack, vpc)
    host, name_on_node = router_host(stack, router), router_name(router.pk)
    generation = Router.objects.get(pk=router.pk).generation

    def stays() -> None:
        now = Router.objects.filter(pk=router.pk).values_list("generation", "node__name").first()
        if now is None or now[0] != generation:
            raise RouterMoved(
                f"router {router.pk} of N={n} was placed again ({now}): its node missed its "
                f"heartbeats; see bench/out/worker.log and agent-*.log"
            )

    results.facts.setdefault("scale_node", {})[f"N={n}"] = node_of(vpc)
    # The rows, and the customers' devices loaded with their downloads, in one transaction: the
    # agent's periodic resync (every 30 s) cannot see the rows before the message is sent, so
    # the cold reconcile below is the one that loads them.
    with transaction.atomic():
        add_connections(
            gateway, cgws, state="pending", state_reason="Waiting for the router to apply it."
        )
        site_seconds = load_site(router.pk)
        time.sleep(1.0)  # the site's first attempts, at a router with nothing loaded, die out

    def loaded() -> int:
        stays()
        try:
            with open_session(uri) as session:
                return len(conn_names(session))
        except (RouterUnreachable, OSError):  # killed, and not yet started again
            return 0

    def count() -> int:
        return router.__class__.objects.get(pk=router.pk).reconcile_count

    def all_connected_since(since: datetime) -> bool:
        return connected(since) == total_now

    def connected(since: datetime | None = None) -> int:
        stays()
        qs = VpnConnection.objects.filter(gateway=gateway, state="connected")
        if since is not None:
            qs = qs.filter(state_changed__gt=since)
        return qs.count()

    # -- cold reconcile ------------------------------------------------------------------------
    before = count()
    preloaded = loaded()  # nothing yet (see above)
    if preloaded:
        say(f"  {preloaded} conns were loaded before the message (a periodic resync ran)")
    results.facts.setdefault("scale_preloaded", {})[f"N={n}"] = preloaded
    node = node_of(vpc)
    t0 = time.monotonic()
    enqueue_reconcile(router)  # outside a transaction: sent to the router's node at once
    t_loaded = all_loaded(node, router.pk, n, loaded, 120)
    t_done = wait_until(lambda: count() > before, 120, every=0.02, what="the reconcile")
    t_all = wait_until(
        lambda: connected() == n, 300, every=0.1, what=lambda: f"{n} Connected ({connected()} are)"
    )
    cold_loaded, cold_done, cold_all = t_loaded - t0, t_done - t0, t_all - t0

    # -- one more connection -------------------------------------------------------------------
    add_ms, to_loaded, to_connected, site_more = [], [], [], []
    added: list[str] = []
    for cgw in extras:
        with transaction.atomic():
            a0 = time.monotonic()
            connection = create_connection(gateway, cgw, passive=False)
            add_ms.append(ms(time.monotonic() - a0))
            site_more.append(load_site(router.pk))  # the customer loads the new download
            name = f"vpn-{connection.pk}"
            added.append(name)
            t0 = time.monotonic()
        with open_session(uri) as session:
            t1 = wait_until(partial(has_conn, session, name), 30, every=0.002, what=name)
        to_loaded.append(ms(t1 - t0))
        to_connected.append(
            ms(
                wait_until(
                    partial(state_is, connection.pk, "connected"), 60, what=f"{name} Connected"
                )
                - t0
            )
        )
        time.sleep(0.3)
    total_now = n + len(extras)
    time.sleep(1.0)
    with open_session(uri) as session:  # still there? (nobody deleted any of them)
        taken_away = [name for name in added if not has_conn(session, name)]

    # -- the status sweep ----------------------------------------------------------------------
    from vpn.strongswan.sas import parse_sas

    sweeps, listing = [], []
    for _ in range(SWEEPS):
        s0 = time.monotonic()
        rows = list(connections_of_router(router.pk))
        with open_session(uri, timeout=10) as session:
            sas = parse_sas(session.list_sas())
        observe(rows, {c.pk: spec_for(c) for c in rows}, sas)
        sweeps.append(ms(time.monotonic() - s0))
        with open_session(uri) as session:
            s0 = time.monotonic()
            parse_sas(session.list_sas())
            listing.append(ms(time.monotonic() - s0))

    # -- what a reconcile with nothing to do spends its time on (in this process) -----------------
    unexpected: list[str] = []
    results.facts[f"reconcile_breakdown_n{n}"] = breakdown(router.pk, uri, unexpected)
    if unexpected:  # e.g. a one-more connection a periodic reconcile took away again
        results.facts[f"reconcile_breakdown_unexpected_ops_n{n}"] = sorted(set(unexpected))

    # -- restart ------------------------------------------------------------------------------
    restart_loaded, restart_all, restart_cpu = [], [], []
    site_pid = _pid(world(), SITE)
    for _ in range(RESTARTS[n]):
        wait_until(
            lambda: connected() == total_now,
            300,
            every=0.1,
            what=lambda: f"all {total_now} Connected ({connected()} are)",
        )
        time.sleep(0.5)
        from django.utils import timezone

        killed = timezone.now()
        site_cpu, busy = procs.cpu_seconds(site_pid), procs.machine_busy_seconds()
        drops = (_udp_rcvbuf_errors(host, name_on_node), _udp_rcvbuf_errors(world(), SITE))
        t0 = time.monotonic()
        host.kill_charon(name_on_node)  # the agent's supervision starts it again
        t1 = all_loaded(node, router.pk, total_now, loaded, 180)
        t2 = wait_until(
            partial(all_connected_since, killed),
            300,
            every=0.1,
            what=partial(_how_many, connected, killed, total_now),
        )
        restart_loaded.append(t1 - t0)
        restart_all.append(t2 - t0)
        # Where the CPU went from the kill to the last Connected (the new charon's whole life).
        restart_cpu.append(
            {
                "seconds": round(t2 - t0, 2),
                "router_charon_cpu_s": round(procs.cpu_seconds(_pid(host, name_on_node)), 2),
                "site_charon_cpu_s": round(procs.cpu_seconds(site_pid) - site_cpu, 2),
                "machine_busy_share": round(
                    (procs.machine_busy_seconds() - busy) / ((t2 - t0) * (os.cpu_count() or 1)), 2
                ),
                "udp_rcvbuf_drops_router": _udp_rcvbuf_errors(host, name_on_node) - drops[0],
                "udp_rcvbuf_drops_site": _udp_rcvbuf_errors(world(), SITE) - drops[1],
            }
        )
    results.facts[f"scale_restart_cpu_n{n}"] = restart_cpu

    # -- the baseline: the same connections in one swanctl.conf, reloaded whole ------------------
    connections = list(connections_of_router(router.pk))
    specs = [dataclasses.replace(spec_for(c), gateway_ip=BASE_IP) for c in connections]
    text_n, text_more = router_conf(specs[:n]), router_conf(specs[: n + 1])
    base_cold, base_more = [], []
    for _ in range(BASELINE_COLD[n]):
        world().stop_charon(BASE)
        world().start_charon(BASE)
        b0 = time.monotonic()
        world().load_site_config(BASE, text_n)
        base_cold.append(time.monotonic() - b0)
    for _ in range(ONE_MORE):
        world().load_site_config(BASE, text_n)
        b0 = time.monotonic()
        world().load_site_config(BASE, text_more)
        base_more.append(ms(time.monotonic() - b0))
    world().stop_charon(BASE)

    # -- the figures ---------------------------------------------------------------------------
    results.add(
        Row(
            group,
            "cold reconcile: message → all N conns loaded in charon",
            "s",
            [cold_loaded],
            note=(
                "fresh router on a node; one reconcile by its agent loads every conn; "
                + loaded_how()
            ),
        )
    )
    results.add(Row(group, "cold reconcile: message → reconcile done", "s", [cold_done]))
    results.add(Row(group, "cold reconcile: message → all N Connected", "s", [cold_all]))
    results.add(
        Row(
            group,
            "one more connection: commit → its conn loaded in charon",
            "ms",
            to_loaded,
            target="≤ 100 ms, independent of N",
            check=p95_within(100),
            limit=(
                "the median stays flat with N; the slow runs are most likely the push waiting "
                "for a core while the agent's 5 s list-sas sweep of the same router records N "
                "states (2 cores shared by the agents, PostgreSQL and the charons)"
            ),
        )
    )
    at_1000 = n == 1000  # issue 14's targets 3a and 3b are set at N = 1,000
    results.add(
        Row(
            group,
            "one more connection: the add action itself (rules, insert)",
            "ms",
            add_ms,
            target="p95 ≤ 30 ms at 1,000" if at_1000 else "",
            check=p95_within(30) if at_1000 else None,
            note="the overlap rules ask a GiST index for the few gateways that may clash",
        )
    )
    results.add(
        Row(
            group,
            "one more connection: commit → Connected",
            "ms",
            to_connected,
            target="p95 ≤ 500 ms at 1,000" if at_1000 else "",
            check=p95_within(500) if at_1000 else None,
        )
    )
    results.add(
        Row(
            group,
            "one more connection: unloaded again by the time all were added",
            "count",
            [float(len(taken_away))],
            target="0",
            check=lambda r: r.median == 0,
            note=", ".join(taken_away),
            limit=(
                "a reconcile of the whole router (the agent's periodic resync) read the rows "
                "before the connection was committed and charon's state after it was pushed, "
                "took it for a leftover and unloaded it (agent/converge.py reconcile_router); "
                "it is loaded again at the next reconcile, up to 30 s later"
            ),
        )
    )
    target_sweep = "≤ 1 s at 1,000" if n == 1000 else ""
    results.add(
        Row(
            group,
            "status sweep (list-sas of all + record every state, as the agent does)",
            "ms",
            sweeps,
            target=target_sweep,
            check=p95_within(1000) if n == 1000 else None,
            note="timed in the benchmark's process with the agent's own functions",
            limit="one UPDATE per changed connection per sweep (agent/converge.py record)",
        )
    )
    results.add(Row(group, "of which list-sas + parsing alone", "ms", listing))
    target_restart = {100: "≤ 30 s at 100", 1000: "≤ 10 s at 1,000"}.get(n, "")
    results.add(
        Row(
            group,
            "router charon killed → all loaded again (the agent restarts it)",
            "s",
            restart_loaded,
            note=(
                "the agent's supervision starts charon (at once: the monitor's stream broke) "
                "and has its monitor connect, which asks for a reconcile; " + loaded_how()
            ),
        )
    )
    results.add(
        Row(
            group,
            "router charon killed → all Connected again",
            "s",
            restart_all,
            target=target_restart,
            check={100: p95_within(30), 1000: p95_within(10)}.get(n),
        )
    )
    results.add(
        Row(
            group,
            "baseline: swanctl --load-all of N, cold",
            "s",
            base_cold,
            note="the baseline charon's cable pulled: its initiations go nowhere, it only loads",
        )
    )
    results.add(Row(group, "baseline: swanctl --load-all of N + 1 (one more)", "ms", base_more))
    ratio_more = statistics.median(base_more) / statistics.median(to_loaded)
    median_cold = statistics.median(base_cold)
    ratio_cold = median_cold / cold_loaded
    results.add(
        Row(
            group,
            "full reload ÷ ours, one more connection (median)",
            "x",
            [ratio_more],
            note="> 1: our incremental push is faster",
        )
    )
    results.add(
        Row(
            group,
            "full reload ÷ ours, cold (median)",
            "x",
            [ratio_cold],
            note=(
                "not the same conditions (ours negotiates with a live site, the baseline's link "
                "is down): see the rows 'same conditions' below"
            ),
        )
    )
    ratios = results.facts.setdefault("ratios", {})
    ratios[f"N={n:,}: one more connection loaded"] = (
        f"{statistics.median(to_loaded):.0f} ms vs. {statistics.median(base_more):.0f} ms "
        f"({ratio_more:.1f}x)"
    )
    ratios[f"N={n:,}: cold, all loaded"] = (
        f"{cold_loaded:.2f} s vs. {statistics.median(base_cold):.2f} s ({ratio_cold:.1f}x)"
    )
    results.facts[f"site_load_seconds_n{n}"] = round(site_seconds, 2)
    results.facts[f"site_load_one_more_seconds_n{n}"] = round(statistics.median(site_more), 2)

    # -- away with this size: rows, gateway, VPC (its node removes the router) -------------------
    VpnConnection.objects.filter(gateway=gateway).delete()
    delete_gateway(gateway)
    delete_vpc(vpc=vpc)
    wait_until(
        lambda: name_on_node not in host.names(), 60, every=0.1, what=f"{name_on_node} removed"
    )

    # -- the cold load under the same conditions for both: links down, and both sites live ------
    downs = [cold_link_down(stack, client, cgws, n, index) for _ in range(COLD_DOWN_RUNS.get(n, 1))]
    down_loaded = [loaded for loaded, _ in downs]
    live_loaded, live_up = baseline_live(specs[:n])
    same = [  # (what, ours, swanctl, the target applies); medians where runs repeat
        (
            "both links down: message/swanctl → all N loaded",
            statistics.median(down_loaded),
            median_cold,
            True,
        ),
        # Issue 14's target 1 asks for either condition: set on the links-down row (medians
        # of 3 on both sides); this one, a single run of each, is reported beside it.
        ("both live: message/swanctl → all N loaded", cold_loaded, live_loaded, False),
        ("both live: → all N up (ours: Connected in the database)", cold_all, live_up, False),
    ]
    results.add(
        Row(
            group,
            "cold, link down: message → all N conns loaded in charon (ours)",
            "s",
            down_loaded,
            note=(
                "a second fresh router with its cable pulled at the internet's end, as the "
                "baseline's: charon's initiations go nowhere, so it only loads"
            ),
        )
    )
    results.add(
        Row(group, "cold, link down: message → reconcile done (ours)", "s", [d for _, d in downs])
    )
    results.add(
        Row(
            group,
            "baseline, both live: swanctl --load-all of N, cold → swanctl done (all loaded)",
            "s",
            [live_loaded],
            note=(
                "the baseline charon's cable plugged in and the site loaded with the same "
                "devices' configuration pointing at it (after ours was removed): it negotiates "
                "every tunnel while it loads, as ours does"
            ),
        )
    )
    results.add(
        Row(
            group,
            "baseline, both live: swanctl --load-all → all N CHILD_SAs up",
            "s",
            [live_up],
            note="counted from charon's child-updown events (ours: Connected in the database)",
        )
    )
    for label, ours, base, targeted in same:
        targeted = targeted and n == 1000
        results.add(
            Row(
                group,
                f"same conditions, {label}: swanctl ÷ ours",
                "x",
                [base / ours],
                target="≥ 1.0x" if targeted else "",
                check=(lambda r: r.median >= 1.0) if targeted else None,
                note=f"ours {ours:.2f} s, swanctl {base:.2f} s; > 1: ours is faster",
                limit=(
                    "charon itself: both load over VICI (ours pipelined, 64 commands in flight, "
                    "charon serves a session's commands in order); with both sites live the "
                    "loads share the two cores with both charons' negotiations (the site "
                    "initiates too); ours leaves charon's log while it loads in bulk and until "
                    "the negotiations pause (charon formats and sends each line to a listener); "
                    "the reconcile's reads and planning before the first load take about 0.1 s"
                ),
            )
        )
        ratios[f"N={n:,}: cold, {label}"] = f"{ours:.2f} s vs. {base:.2f} s ({base / ours:.1f}x)"


def all_loaded(
    node: str, router_id: int, n: int, loaded: Callable[[], int], timeout: float
) -> float:
    """The moment all n conns of the router (on that node) are loaded in its charon.

    From BULK_LOADS loads on, the moment its worker's bulk load ends: the worker's mark
    (agent.loading) goes once charon has answered every load. It is watched without asking
    charon anything (a file's presence): polling charon's conns every few milliseconds, as
    this bench did, competes with the loads it times, on the same two cores, while the
    baseline's swanctl is timed by its own run. Then charon's conns are counted once (and
    polled only if some were loaded apart, say by a push). Fewer loads are not marked: then
    charon's conns are polled."""
    from agent.converge import BULK_LOADS
    from agent.loading import DIRECTORY
    from lab.world import node_config

    if n >= BULK_LOADS:
        mark = node_config(node).run_dir / DIRECTORY / str(router_id)
        wait_until(mark.exists, timeout, every=0.002, what="the router's bulk load to begin")
        done = wait_until(
            lambda: not mark.exists(), timeout, every=0.002, what="the router's bulk load to end"
        )
        if loaded() >= n:
            return done
    return wait_until(lambda: loaded() >= n, timeout, every=0.02, what=f"{n} conns loaded")


def cold_link_down(
    stack: Stack, client: Client, cgws: list, n: int, index: int
) -> tuple[float, float]:
    """Ours with the link down, as the baseline's: a fresh router whose cable is pulled before
    its N connections arrive in one reconcile. Returns (→ all loaded, → reconcile done)."""
    from network.actions import delete_vpc
    from vpn.actions import delete_gateway
    from vpn.models import VpnConnection
    from vpn.queues import enqueue_reconcile
    from vpn.strongswan.errors import RouterUnreachable
    from vpn.strongswan.session import open_session

    say(f"scale N={n}: cold load with the router's link down")
    vpc = lab_vpc(stack, cgws[0].account, f"scale-{n}-down", 150 + index)
    gateway = vpn_gateway(client, vpc)
    router, uri = vpc.router, router_uri(stack, vpc)
    host, name_on_node = router_host(stack, router), router_name(router.pk)
    host.set_link(name_on_node, False)
    with transaction.atomic():
        add_connections(
            gateway, cgws, state="pending", state_reason="Waiting for the router to apply it."
        )

    def loaded() -> int:
        try:
            with open_session(uri) as session:
                return len(conn_names(session))
        except (RouterUnreachable, OSError):
            return 0

    def count() -> int:
        return router.__class__.objects.get(pk=router.pk).reconcile_count

    before, node = count(), node_of(vpc)
    t0 = time.monotonic()
    enqueue_reconcile(router)
    t_loaded = all_loaded(node, router.pk, n, loaded, 120)
    t_done = wait_until(lambda: count() > before, 120, every=0.02, what="the reconcile")
    VpnConnection.objects.filter(gateway=gateway).delete()
    delete_gateway(gateway)
    delete_vpc(vpc=vpc)
    wait_until(
        lambda: name_on_node not in host.names(), 60, every=0.1, what=f"{name_on_node} removed"
    )
    return t_loaded - t0, t_done - t0


def baseline_live(specs: list) -> tuple[float, float]:
    """The baseline with both links up: the site loaded with the devices' configuration for the
    baseline charon (its address instead of our router's), the baseline charon started empty,
    then `swanctl --load-all`. Returns (→ swanctl done, → every connection's CHILD_SA up)."""
    from lab.world import world
    from vpn.device_configs import render_device_config

    say(f"scale N={len(specs)}: the baseline with both links up and the site live")
    # kernel-libipsec installs a CHILD_SA only with a route from an address of its own inside
    # the local traffic selector (charon: "error installing route with policy", "unable to
    # install IPsec policies (SPD)", the CHILD_SA deleted): the baseline gets one in each of
    # the VPC's networks, as our router has. Without, not one of its tunnels came up.
    networks = sorted({cidr for spec in specs for cidr in spec.local_cidrs})
    inside = [(cidr, str(next(ipaddress.ip_network(cidr).hosts()))) for cidr in networks]
    world().add_router(BASE, BASE_IP, [BASE_INSIDE, *inside])
    world().set_link(BASE, True)
    world().load_site_config(SITE, "\n".join(render_device_config(spec) for spec in specs))
    time.sleep(1.0)  # the site's first attempts, at a charon with nothing loaded, die out
    world().stop_charon(BASE)
    world().start_charon(BASE)
    names = {f"vpn-{spec.connection_id}" for spec in specs}
    watch = _UpWatch(world().vici_uri(BASE), names)
    watch.start()
    watch.listening.wait(5)
    b0 = time.monotonic()
    world().load_site_config(BASE, router_conf(specs))
    loaded = time.monotonic() - b0
    if not watch.done.wait(300):
        raise RuntimeError(f"baseline: {len(watch.up)} of {len(names)} CHILD_SAs up after 300 s")
    up = watch.done_at - b0
    world().stop_charon(BASE)
    world().set_link(BASE, False)
    return loaded, up


class _UpWatch(threading.Thread):
    """Follows a charon's child-updown events until a CHILD_SA of every name came up."""

    def __init__(self, uri: str, names: set[str]) -> None:
        super().__init__(name="baseline-up", daemon=True)
        self.uri, self.names = uri, names
        self.up: set[str] = set()
        self.listening, self.done = threading.Event(), threading.Event()
        self.done_at = 0.0

    def run(self) -> None:
        from vpn.strongswan.session import connect

        sock = connect(self.uri, timeout=None)
        events = vici.Session(sock).listen(["child-updown"])
        try:
            threading.Timer(0.2, self.listening.set).start()  # registered once iterated
            for _label, message in events:
                if message.get("up") != b"yes":
                    continue
                self.up |= {k for k, v in message.items() if isinstance(v, dict)} & self.names
                if self.up >= self.names:
                    self.done_at = time.monotonic()
                    self.done.set()
                    return
        finally:
            # The generator unregisters when it is closed: now, while its socket is open (left
            # to the garbage collector, it wrote to a closed socket: "Exception ignored ...
            # Bad file descriptor" in the bench's output).
            with contextlib.suppress(OSError, vici.exception.SessionException):
                events.close()
            sock.close()


def _pid(host: Host, name: str) -> int:
    """The pid of a node's charon (0 when it is not running)."""
    return next((s.pid or 0 for s in host.status() if s.name == name), 0)


def _udp_rcvbuf_errors(host: Host, name: str) -> int:
    """UDP datagrams the kernel dropped in the node's namespace because the receiving socket's
    buffer was full, since the namespace was made (/proc/net/snmp is per namespace)."""
    lines = [
        line.split() for line in host.exec(name, ["cat", "/proc/net/snmp"]).stdout.splitlines()
    ]
    header, values = [line for line in lines if line and line[0] == "Udp:"][:2]
    return int(values[header.index("RcvbufErrors")])


def _how_many(connected: Callable[[datetime], int], since: datetime, total: int) -> str:
    return f"all {total} Connected again since the kill ({connected(since)} are)"


def load_site(router_id: int) -> float:
    """Load the site with the device configuration of every connection of this router (what
    each customer downloaded), in one swanctl.conf; returns the seconds it took."""
    from lab.world import world
    from vpn.device_configs import render_device_config
    from vpn.specs import connections_of_router, spec_for

    started = time.monotonic()
    text = "\n".join(render_device_config(spec_for(c)) for c in connections_of_router(router_id))
    world().load_site_config(SITE, text)
    return time.monotonic() - started


def breakdown(router_id: int, uri: str, unexpected: list[str]) -> dict[str, float]:
    """The parts of the agent's `converge.reconcile_router` timed one by one (median of 3, ms),
    with everything already loaded: what the next reconcile costs before and after its VICI
    calls."""
    from agent import converge
    from vpn.reconcile import Desired, plan
    from vpn.specs import connections_of_router, spec_for
    from vpn.strongswan.session import open_session

    read_actual = converge.read_actual
    parts: dict[str, list[float]] = {}

    def timed(key: str, func):
        t0 = time.monotonic()
        value = func()
        parts.setdefault(key, []).append(ms(time.monotonic() - t0))
        return value

    for _ in range(3):
        connections = timed("read rows", lambda: list(connections_of_router(router_id)))
        specs = timed("specs (decrypt keys)", lambda c=connections: {x.pk: spec_for(x) for x in c})
        desired = timed(
            "fingerprints",
            lambda c=connections, s=specs: [Desired.of(s[x.pk], x.pushed_fingerprint) for x in c],
        )
        with open_session(uri) as session:
            actual = timed("get-conns, get-shared, list-sas", lambda s=session: read_actual(s))
        ops = timed("plan", lambda d=desired, a=actual: plan(d, a))
        sas = [sa for group in actual.ike_sas.values() for sa in group]
        timed(
            "record every state",
            lambda c=connections, s=specs, x=sas: converge.observe(c, s, x),
        )
        if ops:  # everything should be loaded; say what is not, do not apply it
            say(f"  a reconcile now would do {len(ops)} op(s): {ops[:4]}")
            unexpected.extend(f"{op.kind} {op.name}" for op in ops)
    return {key: round(statistics.median(values), 1) for key, values in parts.items()}
