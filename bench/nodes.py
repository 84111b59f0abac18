"""Network nodes: a charon crash, an agent crash and the loss of a whole node, with nobody acting.

Twenty VPCs of one tenant, each with a VPN gateway and one connection to a customer site of its
own, placed by the portal's scheduler on the two nodes (ten each, least loaded first). A
connection counts as Connected again when the portal says so (its state in the database) and
its IKE and CHILD SA are up on the charon of the node its router is on now (so a state left
over from before the failure never counts).

- **charon crash → Connected**: kill -9 of one router's charon (`Host.kill_charon`); the node's
  agent notices (its supervision looks every 0.5 s), starts it again, its monitor reconnects and
  asks for a reconcile, which loads the connection and initiates it. No other connection may
  change state.
- **agent restart → converged**: SIGKILL of a node agent's whole process group (`Nodes.kill`:
  the agent, its Celery worker, its monitor threads) while its routers' charons keep running;
  Nodes starts it again as a container's restart policy would. The clock stops when the new
  agent has heartbeaten and every router of its node has been reconciled again. No connection
  may change state meanwhile (the tunnels never went down).
- **node loss → all Connected**: `Nodes.lose(node)` on the node holding half of the routers
  (its agent stops and every namespace and charon of it is gone). The portal's beat notices the
  missing heartbeats after NETWORK_NODE_DOWN_AFTER, the scheduler rebuilds the routers on the
  other node, whose agent builds them and reconnects. Reported from the loss, and from the
  moment the heartbeat timeout expired. Then the lost node starts again: it must remove what it
  no longer owns (fencing by generation) and disturb nothing; an operator's move puts half of
  the routers back on it for the next round.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.test import Client

from bench.stack import NODES, Stack
from bench.stats import Results, Row, p95_within, say, wait_until
from bench.world import (
    add_connection,
    customer_gateways,
    established_at,
    new_vpc,
    remove_vpcs,
    router_name,
    state_of,
    tenant,
    vpn_gateway,
    wait_router_ready,
)

if TYPE_CHECKING:
    from network.models import Vpc
    from portal.models import Account

ROUTERS = 20
CRASH_ROUNDS = 10
AGENT_ROUNDS = 4
LOSS_ROUNDS = 3
_random = secrets.SystemRandom()  # jitter for test timing, not for secrets


@dataclass(frozen=True)
class Member:
    """One VPC of the fleet: its router and its one connection."""

    vpc: Vpc
    router_id: int
    connection_id: int


def run(results: Results, stack: Stack) -> None:
    from network.models import Vpc

    account, _user, client = tenant("nodes")
    try:
        fleet = build(results, stack, account, client)
        charon_crash(results, stack, fleet)
        agent_restart(results, stack, fleet)
        node_loss(results, stack, fleet)
    finally:
        say("nodes: removing the fleet")
        try:
            remove_vpcs(stack, list(Vpc.objects.filter(account=account)))
        except Exception as error:  # the next section starts on a lab with leftovers then
            say(f"  the fleet was not removed: {type(error).__name__}: {error}")


def build(results: Results, stack: Stack, account: Account, client: Client) -> list[Member]:
    from lab.sites import add_site

    say(f"nodes: {ROUTERS} VPCs with one connection each, on {len(NODES)} network nodes")
    marks = {node: stack.log_size(f"agent-{node}") for node in NODES}
    vpcs = [new_vpc(account, f"fleet-{k:02d}", 10 + k) for k in range(ROUTERS)]
    for vpc in vpcs:
        wait_router_ready(stack, vpc, marks[placement([vpc.router.pk])[vpc.router.pk]])
    rows = [
        (f"site-{k:02d}", f"203.0.113.{100 + k}", f"192.168.{100 + k}.0/24") for k in range(ROUTERS)
    ]
    by_name = {cgw.name: cgw for cgw in customer_gateways(account, rows)}
    fleet = []
    for (name, _ip, _cidrs), vpc in zip(rows, vpcs, strict=True):
        cgw = by_name[name]
        add_site(cgw)
        connection = add_connection(client, vpn_gateway(client, vpc), cgw)
        fleet.append(Member(vpc=vpc, router_id=vpc.router.pk, connection_id=connection.pk))
    wait_all_up(stack, fleet, timeout=120)
    split = Counter(placement([m.router_id for m in fleet]).values())
    results.facts["nodes_routers_per_node"] = {node: split.get(node, 0) for node in NODES}
    say(f"  fleet Connected; routers per node: {results.facts['nodes_routers_per_node']}")
    return fleet


# -- looking at the fleet -------------------------------------------------------------------------


def placement(router_ids: list[int]) -> dict[int, str]:
    """Router id → the name of the node the database places it on now."""
    from network.models import Router

    rows = Router.objects.filter(pk__in=router_ids).values_list("pk", "node__name")
    return {pk: str(node) for pk, node in rows if node}


def up_now(stack: Stack, members: list[Member]) -> set[int]:
    """The connections the database says are Connected and whose SAs are up on the charon of
    the node their router is on now."""
    from vpn.models import VpnConnection
    from vpn.strongswan.render import conn_name

    nodes = placement([m.router_id for m in members])
    states = dict(
        VpnConnection.objects.filter(pk__in=[m.connection_id for m in members]).values_list(
            "pk", "state"
        )
    )
    up = set()
    for member in members:
        node = nodes.get(member.router_id)
        if node is None or states.get(member.connection_id) != "connected":
            continue
        uri = stack.host(node).vici_uri(router_name(member.router_id))
        if established_at(uri, conn_name(member.connection_id)):
            up.add(member.connection_id)
    return up


def wait_all_up(stack: Stack, members: list[Member], timeout: float = 60) -> float:
    return wait_until(
        lambda: len(up_now(stack, members)) == len(members),
        timeout,
        every=0.1,
        what=f"all {len(members)} connections Connected",
    )


Snapshot = dict[int, tuple[str, datetime | None]]


def snapshot(members: list[Member]) -> Snapshot:
    """Each connection's state and the time it last changed."""
    from vpn.models import VpnConnection

    rows = VpnConnection.objects.filter(pk__in=[m.connection_id for m in members])
    return {
        pk: (state, changed)
        for pk, state, changed in rows.values_list("pk", "state", "state_changed")
    }


def describe(before: Snapshot, when: str) -> list[str]:
    """One line per connection that changed since `before`: its state then and now, and why."""
    return describe_ids(changed_since(before), when)


def describe_ids(ids: set[int], when: str) -> list[str]:
    from vpn.models import VpnConnection

    rows = VpnConnection.objects.filter(pk__in=ids).order_by("pk")
    return [
        f"{when}: connection {pk} is {state} ({reason}) since {changed:%H:%M:%S.%f}"
        for pk, state, reason, changed in rows.values_list(
            "pk", "state", "state_reason", "state_changed"
        )
    ]


def changed_since(before: Snapshot) -> set[int]:
    from vpn.models import VpnConnection

    rows = VpnConnection.objects.filter(pk__in=list(before))
    now = {
        pk: (state, changed)
        for pk, state, changed in rows.values_list("pk", "state", "state_changed")
    }
    return {pk for pk, was in before.items() if now.get(pk) != was}


# -- charon crash ---------------------------------------------------------------------------------


def charon_crash(results: Results, stack: Stack, fleet: list[Member]) -> None:
    say(f"charon crash: kill -9 of one router's charon, {CRASH_ROUNDS} rounds (both nodes)")
    took: list[float] = []
    others_changed = 0
    not_restarted = 0
    states_seen: Counter[str] = Counter()
    changes: list[str] = []
    for round_no in range(CRASH_ROUNDS):
        member = fleet[round_no % len(fleet)]  # consecutive routers sit on alternate nodes
        wait_all_up(stack, fleet)
        time.sleep(_random.uniform(0.5, 1.5))
        before = snapshot([m for m in fleet if m is not member])
        seconds, seen, restarted = _crash(stack, member)
        took.append(seconds)
        states_seen.update(seen)
        not_restarted += not restarted
        time.sleep(1.0)  # both ends may initiate: let the duplicates settle
        others_changed += len(changed_since(before))
        changes += describe(before, f"charon crash of router {member.router_id}")
    results.facts["charon_crash_unexpected_changes"] = changes
    group = "4. Network nodes"
    results.add(
        Row(
            group,
            "router's charon killed (kill -9) → Connected again, nobody acting",
            "s",
            took,
            target="≤ 30 s",
            check=p95_within(30),
            note=(
                "the agent's supervision restarts charon (it looks every 0.5 s); its monitor "
                "reconnects and asks for a reconcile, which loads and initiates; states seen: "
                + ", ".join(sorted(states_seen))
            ),
            limit=(
                "supervision tick (0.5 s), charon's start, the monitor's reconnect back-off "
                "(0.5 s), the reconcile through the node's queue, then IKE"
            ),
        )
    )
    results.add(
        Row(
            group,
            "charon crashes: other routers' connections that changed state",
            "count",
            [float(others_changed)],
            target="0",
            check=lambda r: r.median == 0,
            note=f"{CRASH_ROUNDS} crashes, {ROUTERS - 1} other connections watched each time",
            limit="a crash of one router's charon disturbed other routers",
        )
    )
    results.facts["charon_crashes_not_counted_as_restarts"] = not_restarted


def _crash(stack: Stack, member: Member) -> tuple[float, set[str], bool]:
    """Kill the member's router's charon; the seconds until Connected again, the states the
    connection showed meanwhile, and whether the router counted a restart."""
    from network.models import Router
    from vpn.strongswan.render import conn_name

    router = Router.objects.select_related("node").get(pk=member.router_id)
    assert router.node is not None
    host, name = stack.host(router.node.name), router_name(member.router_id)
    uri, conn = host.vici_uri(name), conn_name(member.connection_id)
    seen: set[str] = set()

    def back() -> bool:
        state = state_of(member.connection_id) or "gone"
        seen.add(state)
        return state == "connected" and established_at(uri, conn)

    t0 = time.monotonic()
    host.kill_charon(name)  # returns once it is dead; the agent alone brings it back
    seconds = wait_until(back, 120, every=0.02, what=f"{conn} Connected again") - t0
    restarted = Router.objects.get(pk=router.pk).restarts > router.restarts
    return seconds, seen, restarted


# -- agent restart --------------------------------------------------------------------------------


def agent_restart(results: Results, stack: Stack, fleet: list[Member]) -> None:
    say(f"agent restart: SIGKILL of a node's agent (process group), {AGENT_ROUNDS} rounds")
    to_heartbeat: list[float] = []
    to_converged: list[float] = []
    changed = 0
    lines: list[str] = []
    on_node: list[int] = []
    for round_no in range(AGENT_ROUNDS):
        node = NODES[round_no % len(NODES)]
        wait_all_up(stack, fleet)
        time.sleep(_random.uniform(0.5, 1.5))
        heartbeat, converged, moved, routers = _agent_crash(stack, fleet, node)
        changed += len(moved)
        lines += describe_ids(moved, f"agent restart of {node}")
        to_heartbeat.append(heartbeat)
        to_converged.append(converged)
        on_node.append(routers)
    group = "4. Network nodes"
    results.add(
        Row(
            group,
            "node agent killed (SIGKILL) → restarted agent heartbeats",
            "s",
            to_heartbeat,
            note="the agent's start-up (Python, Django, registration, fencing) on 2 busy cores",
        )
    )
    results.add(
        Row(
            group,
            "node agent killed (SIGKILL) → heartbeaten and every router reconciled",
            "s",
            to_converged,
            note=(
                f"{'/'.join(map(str, sorted(set(on_node))))} routers on the node, their charons "
                "running throughout; the new agent starts its worker and monitor, and each "
                "router's monitor asks for a reconcile"
            ),
        )
    )
    results.add(
        Row(
            group,
            "agent restarts: connections that changed state meanwhile",
            "count",
            [float(changed)],
            target="0",
            check=lambda r: r.median == 0,
            note=f"all {ROUTERS} connections watched, until 3 s after each convergence",
            limit="an agent's restart disturbed tunnels that never went down",
        )
    )
    results.facts["agent_restart_unexpected_changes"] = lines


def _agent_crash(
    stack: Stack, fleet: list[Member], node: str
) -> tuple[float, float, set[int], int]:
    """SIGKILL the node's agent; the seconds until the new one heartbeats and until it has
    reconciled every router of the node, the connections that changed state meanwhile (until
    3 s after), and how many routers the node holds."""
    from django.utils import timezone

    from network.models import NetworkNode, Router

    mine = [pk for pk, name in placement([m.router_id for m in fleet]).items() if name == node]
    counts = dict(Router.objects.filter(pk__in=mine).values_list("pk", "reconcile_count"))
    before = snapshot(fleet)
    changed: set[int] = set()
    old_pid = stack.nodes.pid(node)
    heartbeat: list[float] = []

    t0 = time.monotonic()
    stack.nodes.kill(node)  # Nodes (the supervisor) starts it again within 0.5 s
    killed_at = timezone.now()  # the old agent is dead: any later heartbeat is the new one's

    def converged() -> bool:
        changed.update(changed_since(before))
        row = NetworkNode.objects.get(name=node)
        if row.last_heartbeat is None or row.last_heartbeat <= killed_at:
            return False
        if not heartbeat:
            heartbeat.append(time.monotonic())
        now = dict(Router.objects.filter(pk__in=mine).values_list("pk", "reconcile_count"))
        return all(now[pk] > counts[pk] for pk in mine)

    t1 = wait_until(converged, 120, every=0.05, what=f"the agent of {node} to converge")
    assert stack.nodes.pid(node) != old_pid, "the agent was not restarted"
    stack.write_pids()
    quiet_until = time.monotonic() + 3.0  # and it stays quiet afterwards
    while time.monotonic() < quiet_until:
        changed.update(changed_since(before))
        time.sleep(0.1)
    assert set(placement(mine).values()) == {node}, "an agent restart moved routers"
    return heartbeat[0] - t0, t1 - t0, changed, len(mine)


# -- node loss ------------------------------------------------------------------------------------


@dataclass
class Loss:
    """What one node loss measured (seconds from the loss unless said otherwise)."""

    total: float = 0.0
    after_timeout: float = 0.0  # from the moment the heartbeat timeout expired
    placed: float = 0.0
    each: list[float] = field(default_factory=list)
    kept_changed: int = 0
    returned: float = 0.0  # from the lost node's start until it holds nothing stale
    return_changed: int = 0
    outage_states: Counter[str] = field(default_factory=Counter)
    changes: list[str] = field(default_factory=list)  # what changed where nothing should


def node_loss(results: Results, stack: Stack, fleet: list[Member]) -> None:
    from django.conf import settings

    from network import scheduler
    from network.models import NetworkNode, Router

    down_after = float(settings.NETWORK_NODE_DOWN_AFTER)
    check_every = settings.CELERY_BEAT_SCHEDULE["check-network-nodes"]["schedule"]
    say(f"node loss: the node of half of the routers lost, {LOSS_ROUNDS} rounds")
    losses: list[Loss] = []
    moved: list[float] = []
    for round_no in range(LOSS_ROUNDS):
        wait_all_up(stack, fleet)
        time.sleep(_random.uniform(0.5, 1.5))
        where = placement([m.router_id for m in fleet])
        counts = Counter(where.values())
        most = max(counts.values())
        holders = [n for n in NODES if counts[n] == most]  # half each: take turns
        lost = holders[round_no % len(holders)]
        kept = next(n for n in NODES if n != lost)
        say(f"  round {round_no + 1}: losing {lost} ({counts[lost]} routers)")
        loss = _lose(stack, fleet, where, lost, kept, down_after)
        losses.append(loss)
        say(f"  round {round_no + 1}: all Connected on {kept} after {loss.total:.1f} s")
        if round_no < LOSS_ROUNDS - 1:  # an operator puts half back for the next round
            target = NetworkNode.objects.get(name=lost)
            t0 = time.monotonic()
            for router in Router.objects.filter(pk__in=[r for r, n in where.items() if n == lost]):
                scheduler.move(router, target)
            moved.append(wait_all_up(stack, fleet, timeout=120) - t0)

    group = "4. Network nodes"
    half = ROUTERS // 2
    results.add(
        Row(
            group,
            f"node lost ({half} routers) → every connection Connected on the other node",
            "s",
            [loss.total for loss in losses],
            note=(
                f"includes the heartbeat timeout: a node is down {down_after:g} s after its "
                f"last heartbeat; beat checks every {check_every} s"
            ),
        )
    )
    results.add(
        Row(
            group,
            "node lost → every connection Connected, after the heartbeat timeout",
            "s",
            [loss.after_timeout for loss in losses],
            target="≤ 60 s",
            check=p95_within(60),
            note="counted from the moment the lost node's last heartbeat was that old",
            limit=(
                "the next node check (beat), placing each router, and the surviving agent "
                "building them one by one (namespace, links, charon) before it reconciles"
            ),
        )
    )
    states: Counter[str] = Counter()
    for loss in losses:
        states.update(loss.outage_states)
    shown = ", ".join(f"{state} {count / states.total():.0%}" for state, count in states.items())
    results.add(
        Row(
            group,
            "phase: node lost → its routers placed on the other node",
            "s",
            [loss.placed for loss in losses],
            note=f"what the portal showed for the lost connections meanwhile: {shown}",
        )
    )
    results.add(
        Row(
            group,
            "phase: node lost → each connection Connected on the other node",
            "s",
            [t for loss in losses for t in loss.each],
        )
    )
    results.add(
        Row(
            group,
            "node loss: connections on the surviving node that changed state",
            "count",
            [float(sum(loss.kept_changed for loss in losses))],
            target="0",
            check=lambda r: r.median == 0,
            limit="the failover disturbed routers that were not on the lost node",
        )
    )
    results.add(
        Row(
            group,
            "lost node started again → it holds nothing it no longer owns",
            "s",
            [loss.returned for loss in losses],
            note="its agent removes every copy of an older generation before anything else",
        )
    )
    results.add(
        Row(
            group,
            "lost node's return: connections that changed state",
            "count",
            [float(sum(loss.return_changed for loss in losses))],
            target="0",
            check=lambda r: r.median == 0,
            note="all connections watched until 2 s after it was back",
            limit="the returning node fought over routers it no longer owns",
        )
    )
    if moved:
        results.add(
            Row(
                group,
                f"operator moves {half} routers back to it → all Connected",
                "s",
                moved,
                note=(
                    "scheduler.move (the admin's action): the new node builds each router once "
                    "the old one has let it go"
                ),
            )
        )
    results.facts["node_loss_states_before_failover"] = dict(states)
    results.facts["node_loss_unexpected_changes"] = [c for loss in losses for c in loss.changes]


def _lose(
    stack: Stack,
    fleet: list[Member],
    where: dict[int, str],
    lost: str,
    kept: str,
    down_after: float,
) -> Loss:
    """Lose `lost`, wait until its connections are Connected on `kept`, start it again and wait
    until it holds nothing it no longer owns."""
    from django.utils import timezone

    from network.models import NetworkNode
    from vpn.models import VpnConnection

    lost_members = [m for m in fleet if where[m.router_id] == lost]
    lost_ids = [m.router_id for m in lost_members]
    before_kept = snapshot([m for m in fleet if where[m.router_id] == kept])
    loss = Loss()
    seen: dict[int, float] = {}
    placed: list[float] = []

    def all_back() -> bool:
        now = time.monotonic()
        if not placed:
            if set(placement(lost_ids).values()) == {kept}:
                placed.append(now)
            else:  # what the tenants see while their routers are gone
                states = VpnConnection.objects.filter(
                    pk__in=[m.connection_id for m in lost_members]
                ).values_list("state", flat=True)
                loss.outage_states.update(states)
        for cid in up_now(stack, lost_members) - seen.keys():
            seen[cid] = now
        return len(seen) == len(lost_members)

    stack.nodes.lose(lost)  # its agent stopped, every namespace and charon of it gone
    t0, wall0 = time.monotonic(), time.time()
    wait_until(all_back, 240, every=0.1, what=f"the routers of {lost} Connected on {kept}")
    t_all = max(seen.values())
    last = NetworkNode.objects.get(name=lost).last_heartbeat
    assert last is not None
    loss.total = t_all - t0
    loss.after_timeout = wall0 + loss.total - (last.timestamp() + down_after)
    loss.placed = placed[0] - t0
    loss.each = [t - t0 for t in seen.values()]
    loss.kept_changed = len(changed_since(before_kept))
    loss.changes += describe(before_kept, "failover, surviving node")

    # The lost node comes back: it must remove its stale copies and disturb nobody. First let
    # the rebuilt tunnels settle (both ends initiate; the duplicates take a moment).
    time.sleep(2.0)
    wait_all_up(stack, fleet)
    before_return = snapshot(fleet)
    started = timezone.now()

    def clean() -> bool:
        row = NetworkNode.objects.get(name=lost)
        alive = row.last_heartbeat is not None and row.last_heartbeat > started
        return alive and not stack.host(lost).names()

    t1 = time.monotonic()
    stack.nodes.start(lost)
    loss.returned = wait_until(clean, 60, every=0.1, what=f"{lost} back, holding nothing") - t1
    stack.write_pids()
    time.sleep(2.0)
    loss.return_changed = len(changed_since(before_return))
    loss.changes += describe(before_return, "lost node's return")
    assert set(placement(lost_ids).values()) == {kept}, "routers went back by themselves"
    return loss
