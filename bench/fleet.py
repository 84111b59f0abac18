"""A fleet on two network nodes (issue 14 target 7): ROUTERS routers with PER_ROUTER connections
each, every connection to a live customer device.

ROUTERS tenants (an account each) create a VPC, its VPN gateway and PER_ROUTER connections to
customer gateways of their own, through the portal's actions, one tenant after another; the
scheduler places each router on the least loaded node and that node's agent builds it (its own
namespace and charon) and loads its connections. The customers are one lab site standing in for
every customer gateway (one public IP and one inside network each, as in the scale section),
loaded with the portal's download of every connection once all are created, as the customers
would configure their devices. Then:

- **build**: the first VPC created → every connection Connected (the database says so and its
  IKE and CHILD SA are up on its router's charon), with the phases in between;
- **idle cost**: with everything up and quiet, the CPU (over IDLE_SECONDS) and memory of every
  router's charon and of each node's agent (its process, its Celery worker and their children),
  read from /proc, so an operator can size a node;
- **node loss**, LOSS_ROUNDS times: the node holding half of the routers is lost (agent stopped,
  every namespace and charon gone); the portal's beat fails its routers over after the heartbeat
  timeout, and the clock stops when every one of its connections is up on the other node. The
  lost node then starts again (it removes its stale copies) and an operator moves half of the
  routers back for the next round.

Both nodes run with NODE_CAPACITY = ROUTERS for this section (their agents are restarted with it
before anything is built, and with the earlier setting afterwards): the default capacity (100)
would leave a lost node's routers with nowhere to go once the survivor holds 100 of its own.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.scale import NODE_SYSCTLS, _sysctl
from bench.stack import NODES, Stack
from bench.stats import Results, Row, p95_within, say, wait_until
from bench.world import PSK, SCALE_IPS, remove_vpcs

if TYPE_CHECKING:
    from network.models import Vpc
    from portal.models import Account

TARGET_ROUTERS = 200  # issue 14 target 7
# Each process's PostgreSQL connections come from a bounded pool (DATABASE_POOL_SIZE): a node's
# agent follows every router in a thread of its own, and the threads borrow a connection per
# event. (Before the pool each held one, about one per router: 200 routers took every slot of
# this machine's PostgreSQL, max_connections 100, and the agents crashed on refused connections.)
# BENCH_FLEET_ROUTERS runs a smaller fleet (the tests run 2).
ROUTERS = int(os.environ.get("BENCH_FLEET_ROUTERS") or TARGET_ROUTERS)
PER_ROUTER = 5
LOSS_ROUNDS = 3
IDLE_SECONDS = 30
SITE = "fleet"
GROUP = "4b. Network nodes: a fleet"
# Router public IPs beyond the shared pool (192.0.2.0/24 is used by no other section).
EXTRA_POOL = [f"192.0.2.{10 + n}" for n in range(ROUTERS)]
BUILD_TIMEOUT = 1200.0
# The agents' environment here. NODE_CAPACITY: a node must be able to take every router of the
# other.
AGENT_SETTINGS: dict[str, str | None] = {"NODE_CAPACITY": str(ROUTERS)}
# Each node's role may hold this many connections (its agent's pool, its Celery worker's
# processes): a node that held one per router would be refused and the section would fail.
ROLE_CONNECTION_LIMIT = 20
LOSS_TIMEOUT = 900.0


def _cidr(index: int) -> str:
    return f"172.{16 + index // 256}.{index % 256}.0/24"


def _host(index: int) -> str:
    return f"172.{16 + index // 256}.{index % 256}.1"


@dataclass
class Fleet:
    """The routers built here and their connections."""

    vpcs: list[Vpc]
    connections: dict[int, list[int]]  # router id → its connection ids

    @property
    def routers(self) -> list[int]:
        return list(self.connections)

    def of(self, routers: list[int]) -> list[int]:
        return [c for r in routers for c in self.connections[r]]


def run(results: Results, stack: Stack) -> None:
    from lab.world import world

    saved = {key: _sysctl(key) for key in NODE_SYSCTLS}
    before = {key: stack.nodes.env.get(key) for key in AGENT_SETTINGS}
    accounts: list[Account] = []
    results.facts["fleet_agent_settings"] = AGENT_SETTINGS
    try:
        for key, value in NODE_SYSCTLS.items():
            _sysctl(key, value)
        _restart_agents(stack, AGENT_SETTINGS)
        _limit_roles(ROLE_CONNECTION_LIMIT)
        accounts = _tenants()
        with DatabaseConnections() as peak:
            try:
                fleet = build(results, stack, accounts)
                idle_cost(results, stack, fleet)
                node_loss(results, stack, fleet)
            finally:
                peaks = peak.stop()
                refusals = _refusals(stack)
                results.facts["fleet_peak_database_connections"] = peaks
                results.facts["fleet_agent_database_refusals"] = refusals
                results.add(
                    Row(
                        GROUP,
                        "one node agent: PostgreSQL connections at its peak",
                        "count",
                        [float(n) for n in peaks.values()],
                        note=(
                            f"pg_stat_activity of each node's role every 0.5 s, builds and "
                            f"losses included, its role limited to {ROLE_CONNECTION_LIMIT}; "
                            f"connections the agents were refused: {refusals}"
                        ),
                        target=f"≤ {ROLE_CONNECTION_LIMIT}, whatever the routers",
                        check=lambda row: max(row.samples, default=0) <= ROLE_CONNECTION_LIMIT,
                        limit="the agent's pool (DATABASE_POOL_SIZE) and its worker's processes",
                    )
                )
    finally:
        say("fleet: removing the fleet")
        try:
            from network.models import Vpc

            remove_vpcs(stack, list(Vpc.objects.filter(account__in=accounts)))
        except Exception as error:  # the next section starts on a lab with leftovers then
            say(f"  the fleet was not removed: {type(error).__name__}: {error}")
        if SITE in world().names():
            world().remove(SITE)
        for key, value in saved.items():
            _sysctl(key, value)
        _limit_roles(-1)
        _restart_agents(stack, before)


def _restart_agents(stack: Stack, settings: dict[str, str | None]) -> None:
    """Both agents again with `settings` in their environment (None: unset); each heartbeats
    its capacity into its node's row."""
    from network.models import NetworkNode

    for key, value in settings.items():
        if value is None:
            stack.nodes.env.pop(key, None)
        else:
            stack.nodes.env[key] = value
    for node in NODES:
        stack.nodes.stop(node)
        stack.nodes.start(node)
    stack.write_pids()
    stack.wait_nodes_alive()
    capacity = stack.nodes.env.get("NODE_CAPACITY")
    if capacity:
        wait_until(
            lambda: (
                set(NetworkNode.objects.filter(name__in=NODES).values_list("capacity", flat=True))
                == {int(capacity)}
            ),
            30,
            every=0.2,
            what=f"both nodes to report capacity {capacity}",
        )


def _limit_roles(limit: int) -> None:
    """Each node's database role may open at most `limit` connections (-1: no limit of its
    own), so that the fleet can never take the shared PostgreSQL's last slots."""
    from django.db import connection

    from network.management.commands.network_node_role import role_name

    with connection.cursor() as cursor:
        for node in NODES:
            cursor.execute(f'ALTER ROLE "{role_name(node)}" CONNECTION LIMIT {int(limit)}')


def _refusals(stack: Stack) -> int:
    """How often the agents' logs say PostgreSQL refused them a connection."""
    words = (b"too many connections", b"remaining connection slots", b"too many clients")
    count = 0
    for node in NODES:
        path = stack.log_path(f"agent-{node}")
        if path.exists():
            data = path.read_bytes()
            count += sum(data.count(word) for word in words)
    return count


class DatabaseConnections(threading.Thread):
    """The most connections each node's database role held at once (pg_stat_activity, sampled
    every 0.5 s) while it runs."""

    def __init__(self) -> None:
        super().__init__(name="bench-db-connections", daemon=True)
        self.peak: Counter[str] = Counter()
        self._stopping = threading.Event()

    def __enter__(self) -> DatabaseConnections:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def run(self) -> None:
        from django.db import connection

        from network.management.commands.network_node_role import role_name

        roles = {role_name(node): node for node in NODES}
        try:
            while not self._stopping.wait(0.5):
                with contextlib.suppress(Exception), connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT usename, count(*) FROM pg_stat_activity GROUP BY usename"
                    )
                    for role, count in cursor.fetchall():
                        if role in roles:
                            node = roles[role]
                            self.peak[node] = max(self.peak[node], int(count))
        finally:
            connection.close()

    def stop(self) -> dict[str, int]:
        self._stopping.set()
        if self.is_alive():
            self.join(5)
        return dict(self.peak)


def _tenants() -> list[Account]:
    """ROUTERS accounts, each with PER_ROUTER customer gateways (rows, in bulk), and the public
    IPs their routers take."""
    from network.models import PublicIp
    from portal.models import Account
    from vpn import crypto
    from vpn.models import CustomerGateway

    PublicIp.objects.bulk_create(
        [PublicIp(address=address) for address in EXTRA_POOL], ignore_conflicts=True
    )
    accounts = [Account.objects.create(name=f"fleet-{k:03d}") for k in range(ROUTERS)]
    addresses = _addresses()
    encrypted = crypto.encrypt(PSK)
    CustomerGateway.objects.bulk_create(
        [
            CustomerGateway(
                account=account,
                name=f"site-{j}",
                gateway_ip=addresses[k * PER_ROUTER + j],
                cidr_list=_cidr(k * PER_ROUTER + j),
                psk_encrypted=encrypted,
                psk_length=len(PSK),
            )
            for k, account in enumerate(accounts)
            for j in range(PER_ROUTER)
        ],
        batch_size=500,
    )
    return accounts


def _addresses() -> list[str]:
    hosts = SCALE_IPS.hosts()
    return [str(next(hosts)) for _ in range(ROUTERS * PER_ROUTER)]


# -- build ----------------------------------------------------------------------------------------


def build(results: Results, stack: Stack, accounts: list[Account]) -> Fleet:
    from lab.world import world
    from network.actions import create_vpc
    from network.models import Router
    from vpn.actions import create_connection, create_gateway
    from vpn.models import CustomerGateway

    total = ROUTERS * PER_ROUTER
    say(f"fleet: one customer site with {total} public IPs")
    started = time.monotonic()
    addresses = _addresses()
    subnets = [(_cidr(k), _host(k)) for k in range(total)]
    world().add_site(SITE, addresses, subnets, many_devices=True)
    results.facts["fleet_site_seconds"] = round(time.monotonic() - started, 1)

    say(f"fleet: {ROUTERS} tenants create a VPC, its VPN gateway and {PER_ROUTER} connections")
    cgws: dict[int, list[CustomerGateway]] = {}
    for cgw in CustomerGateway.objects.filter(account__in=accounts).order_by("pk"):
        cgws.setdefault(cgw.account_id, []).append(cgw)
    t0 = time.monotonic()
    vpcs = []
    connections: dict[int, list[int]] = {}
    for k, account in enumerate(accounts):
        vpc = create_vpc(
            account=account,
            name="fleet",
            cidr=f"10.{10 + k}.0.0/16",
            tier_name="web",
            tier_cidr=f"10.{10 + k}.1.0/24",
        )
        gateway, _ = create_gateway(vpc)
        router_id = Router.objects.values_list("pk", flat=True).get(vpc=vpc)
        connections[router_id] = [
            create_connection(gateway, cgw, passive=False).pk for cgw in cgws[account.pk]
        ]
        vpcs.append(vpc)
    t_rows = time.monotonic()
    fleet = Fleet(vpcs=vpcs, connections=connections)
    say(f"  created in {t_rows - t0:.1f} s; the customers load their downloads")
    _load_site(fleet)
    t_site = time.monotonic()
    t_running = wait_until(
        lambda: Router.objects.filter(pk__in=fleet.routers, state="running").count() == ROUTERS,
        BUILD_TIMEOUT,
        every=0.5,
        what=lambda: f"{ROUTERS} routers running ({_running(fleet)} are)",
    )
    say(f"  {ROUTERS} routers running after {t_running - t0:.1f} s")
    t_all = wait_all_up(stack, fleet, fleet.routers, BUILD_TIMEOUT - (t_running - t0))
    split = Counter(placement(fleet.routers).values())
    results.facts["fleet_routers_per_node"] = {node: split.get(node, 0) for node in NODES}
    say(f"  all {total} Connected after {t_all - t0:.1f} s; per node: {dict(split)}")
    rows = [
        (
            f"build: first VPC created → all {total:,} connections Connected",
            t_all - t0,
            _smaller()
            + f"{ROUTERS} tenants one after another through the portal's actions (VPC, VPN "
            f"gateway, {PER_ROUTER} connections each), then the customers' devices loaded; the "
            "scheduler placed the routers on the two nodes, each node's agent built them "
            "(namespace, links, charon) and loaded their connections",
        ),
        ("phase: the tenants' actions (every VPC, gateway and connection)", t_rows - t0, ""),
        (
            "phase: the customers load their downloads (lab only)",
            t_site - t_rows,
            f"one swanctl --load-all of {total:,} connections into the customer site",
        ),
        ("phase: first VPC created → every router running", t_running - t0, ""),
    ]
    for metric, seconds, note in rows:
        results.add(Row(GROUP, metric, "s", [seconds], note=note))
    return fleet


def _smaller() -> str:
    """Why this run has fewer routers than the target, if it has."""
    if ROUTERS >= TARGET_ROUTERS:
        return ""
    return (
        f"{ROUTERS} routers, not {TARGET_ROUTERS}: each node's agent holds about one PostgreSQL "
        "connection per router it follows (its monitor's threads), and this machine's shared "
        "PostgreSQL allows 100 connections in all; at 200 they were all taken and the agents' "
        "writes refused. "
    )


def _running(fleet: Fleet) -> int:
    from network.models import Router

    return Router.objects.filter(pk__in=fleet.routers, state="running").count()


def _load_site(fleet: Fleet) -> None:
    """The site loaded with the download of every connection of the fleet, in one file."""
    from lab.world import world
    from vpn.device_configs import render_device_config
    from vpn.models import VpnConnection
    from vpn.specs import spec_for

    rows = (
        VpnConnection.objects.filter(pk__in=fleet.of(fleet.routers))
        .select_related("gateway__vpc", "customer_gateway")
        .order_by("pk")
    )
    world().load_site_config(SITE, "\n".join(render_device_config(spec_for(c)) for c in rows))


# -- looking at the fleet -------------------------------------------------------------------------


def placement(router_ids: list[int]) -> dict[int, str]:
    """Router id → the name of the node the database places it on now."""
    from network.models import Router

    rows = Router.objects.filter(pk__in=router_ids).values_list("pk", "node__name")
    return {pk: str(node) for pk, node in rows if node}


def routers_up(stack: Stack, fleet: Fleet, routers: list[int], on: str | None = None) -> set[int]:
    """The routers (of `routers`) whose every connection the database says is Connected and
    whose charon, on the node the database places it on now (and only if that is `on`), has the
    IKE and CHILD SA of each up. One list-sas per router, asked only when the database agrees."""
    from network.models import Router
    from vpn.models import VpnConnection
    from vpn.strongswan.errors import RouterUnreachable
    from vpn.strongswan.render import conn_name
    from vpn.strongswan.sas import parse_sas
    from vpn.strongswan.session import open_session

    connected = Counter(
        VpnConnection.objects.filter(
            gateway__vpc__router__in=routers, state="connected"
        ).values_list("gateway__vpc__router", flat=True)
    )
    running = dict(
        Router.objects.filter(pk__in=routers, state="running").values_list("pk", "node__name")
    )
    up = set()
    for router in routers:
        node = running.get(router)
        if node is None or (on is not None and node != on):
            continue
        if connected[router] < len(fleet.connections[router]):
            continue
        wanted = {conn_name(c) for c in fleet.connections[router]}
        try:
            with open_session(stack.host(node).vici_uri(f"r{router}"), timeout=2.0) as session:
                sas = parse_sas(session.list_sas())
        except (RouterUnreachable, OSError):
            continue
        established = {
            sa.name
            for sa in sas
            if sa.state == "ESTABLISHED" and any(c.state == "INSTALLED" for c in sa.children)
        }
        if wanted <= established:
            up.add(router)
    return up


def wait_all_up(
    stack: Stack, fleet: Fleet, routers: list[int], timeout: float, on: str | None = None
) -> float:
    """Until every connection of `routers` is up (see routers_up); the moment the last router
    was seen so. Routers seen up are not asked again."""
    pending = set(routers)

    def done() -> bool:
        pending.difference_update(routers_up(stack, fleet, sorted(pending), on))
        return not pending

    return wait_until(
        done, timeout, every=0.5, what=lambda: f"{len(pending)} routers not all Connected"
    )


# -- idle cost ------------------------------------------------------------------------------------


def idle_cost(results: Results, stack: Stack, fleet: Fleet) -> None:
    from bench import procs

    say(f"fleet: idle cost of every charon and both agents over {IDLE_SECONDS} s")
    time.sleep(10)  # both ends initiated: let the duplicate SAs settle first
    groups: dict[str, list[int]] = {}
    for node in NODES:
        charon_pids: set[int] = set()
        for status in stack.host(node).status():
            if status.running and status.pid is not None:
                groups[f"charon {node}/{status.name}"] = [status.pid]
                charon_pids |= {status.pid, *procs.descendants(status.pid)}
        # The agent starts its routers' charons: they are its children, counted apart.
        agent = stack.nodes.pid(node)
        groups[f"agent {node}"] = [
            pid for pid in [agent, *procs.descendants(agent)] if pid not in charon_pids
        ]
    usage = procs.sample(groups, IDLE_SECONDS)
    charons = [u for name, u in usage.items() if name.startswith("charon ")]
    agents = {name: u for name, u in usage.items() if name.startswith("agent ")}
    per_node = Counter(placement(fleet.routers).values())
    results.facts["fleet_idle"] = {
        name: {
            "cpu_percent": round(100 * u.cpu_share, 2),
            "rss_kib": u.rss_kib,
            "pss_kib": u.pss_kib,
        }
        for name, u in usage.items()
        if not name.startswith("charon ")
    }
    results.facts["fleet_idle_charons"] = {
        "count": len(charons),
        "cpu_percent_sum": round(100 * sum(u.cpu_share for u in charons), 2),
        "pss_mib_sum": round(sum(u.pss_kib for u in charons) / 1024, 1),
    }
    results.facts["fleet_agent_processes"] = {
        name: len(pids) for name, pids in groups.items() if name.startswith("agent ")
    }
    routers = "/".join(str(per_node[n]) for n in NODES)
    rows = [
        (
            "one router's charon: memory (PSS)",
            "MiB",
            [u.pss_kib / 1024 for u in charons],
            f"every charon of the fleet ({len(charons)}), {PER_ROUTER} connections up each; "
            "PSS shares the pages the charons map alike (libraries), so it adds up across a "
            "node; RSS below counts them whole",
        ),
        ("one router's charon: memory (RSS)", "MiB", [u.rss_kib / 1024 for u in charons], ""),
        (
            f"one router's charon: idle CPU over {IDLE_SECONDS} s",
            "%",
            [100 * u.cpu_share for u in charons],
            "% of one core: answering its agent's list-sas sweep (every "
            f"{_setting('SWEEP_SECONDS')} s) and the peers' dead peer detection",
        ),
        (
            "one node agent (its process, Celery worker and pool): memory (PSS)",
            "MiB",
            [u.pss_kib / 1024 for u in agents.values()],
            f"both nodes' agents, holding {routers} routers",
        ),
        (
            f"one node agent: idle CPU over {IDLE_SECONDS} s",
            "%",
            [100 * u.cpu_share for u in agents.values()],
            f"% of one core, {routers} routers: its heartbeat, its monitor following each "
            f"router, a list-sas sweep of each every {_setting('SWEEP_SECONDS')} s and a "
            f"reconcile of each every {_setting('RECONCILE_SECONDS')} s",
        ),
    ]
    for metric, unit, samples, note in rows:
        results.add(Row(GROUP, metric, unit, [round(s, 2) for s in samples], note=note))


def _setting(key: str) -> str:
    from django.conf import settings

    return f"{settings.NETWORK_AGENT[key]:g}"


# -- node loss ------------------------------------------------------------------------------------


def node_loss(results: Results, stack: Stack, fleet: Fleet) -> None:
    from django.conf import settings

    from network import scheduler
    from network.models import NetworkNode, Router

    down_after = float(settings.NETWORK_NODE_DOWN_AFTER)
    say(f"fleet: node loss, {LOSS_ROUNDS} rounds")
    totals: list[float] = []
    after_timeout: list[float] = []
    placed: list[float] = []
    returned: list[float] = []
    moved_back: list[float] = []
    lost_routers: list[int] = []
    for round_no in range(LOSS_ROUNDS):
        where = placement(fleet.routers)
        counts = Counter(where.values())
        lost = max(NODES, key=lambda n: (counts[n], NODES.index(n) == round_no % len(NODES)))
        kept = next(n for n in NODES if n != lost)
        mine = [r for r, n in where.items() if n == lost]
        lost_routers.append(len(mine))
        say(f"  round {round_no + 1}: losing {lost} ({len(mine)} routers)")
        stack.nodes.lose(lost)
        t0, wall0 = time.monotonic(), time.time()
        t_placed = wait_until(
            lambda m=mine, k=kept: set(placement(m).values()) == {k},  # type: ignore[misc]
            LOSS_TIMEOUT,
            every=0.2,
            what=f"the routers of {lost} placed on {kept}",
        )
        t_all = wait_all_up(stack, fleet, mine, LOSS_TIMEOUT, on=kept)
        last = NetworkNode.objects.get(name=lost).last_heartbeat
        assert last is not None
        totals.append(t_all - t0)
        after_timeout.append(wall0 + (t_all - t0) - (last.timestamp() + down_after))
        placed.append(t_placed - t0)
        say(f"  round {round_no + 1}: all Connected on {kept} after {t_all - t0:.1f} s")

        started = time.monotonic()
        stack.nodes.start(lost)
        wait_until(
            lambda n=lost: not stack.host(n).names(),  # type: ignore[misc]
            LOSS_TIMEOUT,
            every=0.5,
            what=f"{lost} back, holding nothing",
        )
        returned.append(time.monotonic() - started)
        stack.write_pids()
        stack.wait_nodes_alive()
        if round_no < LOSS_ROUNDS - 1:  # an operator puts half back for the next round
            target = NetworkNode.objects.get(name=lost)
            back = sorted(fleet.routers)[::2] if round_no % 2 == 0 else sorted(fleet.routers)[1::2]
            t1 = time.monotonic()
            for router in Router.objects.filter(pk__in=back):
                scheduler.move(router, target)
            moved_back.append(wait_all_up(stack, fleet, back, LOSS_TIMEOUT, on=lost) - t1)
            wait_all_up(stack, fleet, fleet.routers, LOSS_TIMEOUT)
    check_every = settings.CELERY_BEAT_SCHEDULE["check-network-nodes"]["schedule"]
    half = round(statistics.median(lost_routers))
    connections = half * PER_ROUTER
    results.add(
        Row(
            GROUP,
            f"node lost ({half} routers, {connections:,} connections) → all Connected on the "
            "other node",
            "s",
            totals,
            note=(
                f"includes the heartbeat timeout: a node is down {down_after:g} s after its "
                f"last heartbeat; beat checks every {check_every} s"
            ),
        )
    )
    results.add(
        Row(
            GROUP,
            "node lost → all Connected on the other node, after the heartbeat timeout",
            "s",
            after_timeout,
            target="≤ 60 s",
            check=p95_within(60),
            note="counted from the moment the lost node's last heartbeat was that old",
            limit=(
                "the surviving agent building the routers (namespace, links, charon) and "
                "loading them, on 2 cores shared with everything else"
            ),
        )
    )
    results.add(
        Row(GROUP, "phase: node lost → all its routers placed on the other node", "s", placed)
    )
    results.add(
        Row(
            GROUP,
            "lost node started again → it holds nothing it no longer owns",
            "s",
            returned,
            note="its agent removes every copy of an older generation",
        )
    )
    if moved_back:
        results.add(
            Row(
                GROUP,
                f"operator moves {ROUTERS // 2} routers back to it → all Connected there",
                "s",
                moved_back,
                note="scheduler.move (the admin's action) of every other router",
            )
        )
