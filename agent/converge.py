"""A network node's work on its routers: converge a router's charon on the database, and write
down what charon says. The agent's Celery tasks (agent/tasks.py) and its monitor call these;
the portal never does. Every entry point acts only on a router this node owns (agent/node.py).

- `reconcile_router`: desired (database) vs. actual (get-conns, get-shared, list-sas), the
  minimal VICI operations (vpn.reconcile.plan), then states from a fresh list-sas.
- `sweep_router`: one list-sas, states and counters for every connection of the router.
- `reset_connection`: terminate and initiate one connection.
- `record` (agent.record): the one place that writes observed states, used by the reconciler,
  the sweep and the event monitor alike.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Iterable, Iterator

import vici
from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from agent import loading
from agent.node import this_node
from agent.record import Seen, record, record_many, update_rows
from network.choices import RouterState
from network.models import Router
from vpn import history
from vpn.choices import ConnectionState, EventKind
from vpn.crypto import UnreadableKey
from vpn.models import VpnConnection
from vpn.reconcile import Actual, Desired, Op, OpResult, apply, plan, plan_reset
from vpn.specs import connections_of_router, readable_specs, spec_for
from vpn.strongswan.errors import RouterUnreachable
from vpn.strongswan.render import conn_name, shared_id
from vpn.strongswan.sas import IkeSa, Observed, by_name, derive_state, parse_sas
from vpn.strongswan.session import open_session
from vpn.strongswan.spec import ConnSpec

log = logging.getLogger(__name__)

VICI_TIMEOUT = 10.0
# From this many connections loaded in one go, the router is marked as loading in bulk while
# they load (agent.loading): its monitor leaves charon's log and holds its writes meanwhile.
BULK_LOADS = 50
# Leaving Connected is confirmed by a second look this much later (see observe()).
CONFIRM_DOWN_AFTER = 0.15
# What the tenant reads while the router's charon does not answer (the operator's reason,
# with the socket and charon's words, is on the router).
ROUTER_DOWN = "The VPN router is not answering; the tunnel comes back when it does."
# When each connection's counters were last stored (vpn.models.TrafficSample), by this process.
_sampled: dict[int, float] = {}
# What the tenant reads when its pre-shared key cannot be decrypted (a key missing from
# PSK_ENCRYPTION_KEYS, or a damaged row); the operator's details are in the log.
PSK_UNREADABLE = "The pre-shared key could not be read; the operators have been told."


@contextlib.contextmanager
def _one_at_a_time(router_id: int) -> Iterator[None]:
    """One reconcile of a router at a time on this node (across the worker's pool processes):
    a second one (the periodic resync's, a monitor's after a restart) waits for the first and
    then finds nothing left to do, instead of loading the same thousand connections beside it."""
    directory = this_node().config.run_dir / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"reconcile-{router_id}", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        yield


def reconcile_router(router_id: int) -> None:
    with _one_at_a_time(router_id):
        _reconcile_router(router_id)


def _reconcile_router(router_id: int) -> None:
    router = Router.objects.select_related("source_nat_ip").filter(pk=router_id).first()
    if router is None:
        log.info("reconcile: router %s is gone", router_id)
        return
    node = this_node()
    if not node.owns(router):
        return
    if node.driver.local().get(router_id) != router.generation and not node.build(router_id):
        return
    connections = list(connections_of_router(router_id))
    specs, unreadable = readable_specs(connections)
    desired = [Desired.of(specs[c.pk], c.pushed_fingerprint) for c in connections if c.pk in specs]
    ops, results, sas = _converge(router, desired, leave=unreadable)
    if mark_reachable(router) | _readable_again(connections, specs):
        connections = list(connections_of_router(router_id))
    failed = _record_results(desired, results)
    _record_unreadable(connections, unreadable, "reconcile")
    observe([c for c in connections if c.pk in specs], specs, sas, skip=failed, router=router)
    Router.objects.filter(pk=router.pk).update(reconcile_count=F("reconcile_count") + 1)
    log.info(
        "reconcile router=%s connections=%d ops=%d failed=%d",
        router.pk,
        len(connections),
        len(ops),
        len(failed),
    )


def push_connection(connection_id: int) -> None:
    """The fast path after an add: plan and apply this one connection against charon's view of
    its own name only (list-conns, list-sas of it), so the push costs the same with 10 or 1,000
    other connections on the router. The router's reconcile (periodic, and the retries of
    this task) remains the guarantee; both are idempotent, so either may run first."""
    connection = _owned_connection(connection_id, "push")
    if connection is None:
        return
    router, node = connection.gateway.vpc.router, this_node()
    if router.pk not in node.driver.local():
        log.info("push: router %s is not built here yet; its build pushes everything", router.pk)
        return
    try:
        spec = spec_for(connection)
    except UnreadableKey as error:
        _record_unreadable([connection], {connection.pk: error}, "push")
        return  # nothing a retry could change; the router's reconcile checks again
    desired = [Desired.of(spec, connection.pushed_fingerprint)]
    ops, results, sas = _converge(router, desired, only=connection_id)
    mark_reachable(router)
    failed = _record_results(desired, results)
    observe([connection], {connection.pk: spec}, sas, skip=failed, router=router)
    log.info(
        "push connection=%s router=%s ops=%d failed=%d",
        connection_id,
        router.pk,
        len(ops),
        len(failed),
    )


def sweep_router(router_id: int) -> None:
    router = Router.objects.filter(pk=router_id).first()
    if router is None or not this_node().owns(router, quiet=True):
        return
    connections = list(connections_of_router(router_id))
    try:
        with open_session(_uri(router), timeout=VICI_TIMEOUT) as session:
            sas = parse_sas(session.list_sas())
    except (RouterUnreachable, OSError) as error:
        mark_unreachable(router, error)
        return
    specs, unreadable = readable_specs(connections)
    if mark_reachable(router) | _readable_again(connections, specs):
        connections = list(connections_of_router(router_id))
    _record_unreadable(connections, unreadable, "sweep", quiet=True)
    observe([c for c in connections if c.pk in specs], specs, sas, router=router)


def reset_connection(connection_id: int) -> None:
    """Reset = terminate every IKE SA of the connection, then initiate it (if active)."""
    connection = _owned_connection(connection_id, "reset")
    if connection is None:
        return
    router = connection.gateway.vpc.router
    try:
        spec = spec_for(connection)
    except UnreadableKey as error:
        _record_unreadable([connection], {connection.pk: error}, "reset")
        return
    name = conn_name(connection_id)
    try:
        with open_session(_uri(router), timeout=VICI_TIMEOUT) as session:
            mine = [sa for sa in parse_sas(session.list_sas({"ike": name})) if sa.name == name]
            results = apply(session, plan_reset(spec, mine))
    except (RouterUnreachable, OSError) as error:
        mark_unreachable(router, error)
        raise _unreachable(router, error) from error
    failed = [r for r in results if not r.ok]
    if failed:
        history.record_event(connection.pk, EventKind.RESET, reason=failed[0].reason)
        refused(connection.pk, failed[0].reason)
    else:
        reason = "Reset: negotiating again."
        history.record_event(
            connection.pk, EventKind.RESET, state=ConnectionState.CONNECTING, reason=reason
        )
        record(connection.pk, Observed(ConnectionState.CONNECTING, reason), event="reset")
    log.info("reset connection=%s terminated=%d", connection_id, len(mine))


def _converge(
    router: Router,
    desired: list[Desired],
    *,
    only: int | None = None,
    leave: Iterable[int] = (),
) -> tuple[list[Op], list[OpResult], list[IkeSa]]:
    """Plan and apply `desired` on the router's charon (against all of its state, or `only`
    that connection's); returns the ops, their results and the SAs after them. What charon
    has of the connections in `leave` is left alone (see _without)."""
    try:
        with open_session(_uri(router), timeout=VICI_TIMEOUT) as session:
            actual = _without(read_actual(session, only=only), set(leave))
            ops = plan(desired, actual)
            bulk = sum(op.kind == "load_conn" for op in ops) >= BULK_LOADS
            run_dir = this_node().config.run_dir
            with loading.marked(run_dir, router.pk) if bulk else contextlib.nullcontext():
                results = apply(session, ops)
            sas = _list_sas(session, only) if ops else list(_flatten(actual.ike_sas))
    except (RouterUnreachable, OSError) as error:
        mark_unreachable(router, error)
        raise _unreachable(router, error) from error
    return ops, results, sas


def read_actual(session: vici.Session, *, only: int | None = None) -> Actual:
    """What charon has: every conn, key and SA, or `only` those of one connection id."""
    keys = {_text(k) for k in session.get_shared().get("keys", [])}
    if only is None:
        conns = {_text(c) for c in session.get_conns().get("conns", [])}
    else:
        listed = session.list_conns({"ike": conn_name(only)})
        conns = {_text(name) for conn in listed for name in conn}
        keys &= {shared_id(only)}
    return Actual(
        conns=frozenset(conns),
        shared_ids=frozenset(keys),
        ike_sas=by_name(_list_sas(session, only)),
    )


def _without(actual: Actual, connection_ids: set[int]) -> Actual:
    """charon's state without what belongs to these connections, so that the plan neither
    unloads nor terminates them: a connection whose key cannot be read is not desired (it
    cannot be pushed), yet charon may still hold its config and key from the last push. A
    tunnel up with that key stays up while the operators restore theirs; a charon restart
    drops it, and the connection shows Error until the key can be read again."""
    if not connection_ids:
        return actual
    names = {conn_name(cid) for cid in connection_ids}
    keys = {shared_id(cid) for cid in connection_ids}
    return Actual(
        conns=actual.conns - names,
        shared_ids=actual.shared_ids - keys,
        ike_sas={name: sas for name, sas in actual.ike_sas.items() if name not in names},
    )


def _record_unreadable(
    connections: Iterable[VpnConnection],
    errors: dict[int, UnreadableKey],
    what: str,
    *,
    quiet: bool = False,
) -> None:
    """Error, with a plain sentence for the tenant, for each connection whose key cannot be
    read; the operator's details (ids, why) go to the log: on every reconcile, push and
    reset, and on a sweep only when the state changes (a sweep runs every few seconds)."""
    for connection in connections:
        error = errors.get(connection.pk)
        if error is None:
            continue
        observed = Observed(ConnectionState.ERROR, PSK_UNREADABLE)
        changed = record(connection.pk, observed, current=connection, event="refused")
        if changed or not quiet:
            log.error(
                "%s: connection %s: the pre-shared key of customer gateway %s cannot be"
                " decrypted: %s. Restore the PSK_ENCRYPTION_KEYS entry that encrypted it, or"
                " have the tenant enter the key again; the router keeps what it has loaded.",
                what,
                connection.pk,
                connection.customer_gateway_id,
                error,
            )


def _readable_again(connections: Iterable[VpnConnection], specs: dict[int, ConnSpec]) -> bool:
    """Connections in Error only because their key could not be read, whose key now can,
    start again from Pending; True when there were any (re-read the connections)."""
    again = [
        c.pk
        for c in connections
        if c.pk in specs and c.state == ConnectionState.ERROR and c.state_reason == PSK_UNREADABLE
    ]
    if not again:
        return False
    _set_state(
        VpnConnection.objects.filter(
            pk__in=again, state=ConnectionState.ERROR, state_reason=PSK_UNREADABLE
        ),
        ConnectionState.PENDING,
        "The pre-shared key can be read again.",
        state_changed=timezone.now(),
    )
    log.info("connection(s) %s: pre-shared key readable again", ", ".join(map(str, again)))
    return True


def _list_sas(session: vici.Session, only: int | None) -> list[IkeSa]:
    if only is None:
        return parse_sas(session.list_sas())
    name = conn_name(only)
    return [sa for sa in parse_sas(session.list_sas({"ike": name})) if sa.name == name]


def observe(
    connections: Iterable[VpnConnection],
    specs: dict[int, ConnSpec],
    sas: list[IkeSa],
    *,
    skip: Iterable[int] = (),
    router: Router | None = None,
) -> None:
    """Write each connection's state as derived from `sas` (one list-sas of its router), all
    of them at once (agent.record.record_many).

    A Connected connection that this snapshot shows without an established SA is looked at
    once more after CONFIRM_DOWN_AFTER (with `router`), as the event monitor does: when both
    ends initiate, charon replaces one IKE SA by the other and a snapshot can fall in between.
    One pause and one session serve every such connection of the snapshot.
    """
    grouped, skipped = by_name(sas), set(skip)
    seen: dict[int, Seen] = {}
    doubtful: list[int] = []
    for connection in connections:
        if connection.pk in skipped:
            continue
        spec = specs[connection.pk]
        observed = derive_state(spec, grouped.get(conn_name(connection.pk), []))
        seen[connection.pk] = Seen(connection, observed)
        if (
            router is not None
            and connection.state == ConnectionState.CONNECTED
            and observed.state in (ConnectionState.CONNECTING, ConnectionState.DISCONNECTED)
        ):
            doubtful.append(connection.pk)
    if doubtful and router is not None:
        again = _look_again(router, [specs[pk] for pk in doubtful])
        for pk, observed in again.items():
            seen[pk] = Seen(seen[pk].connection, observed)
    record_many(list(seen.values()))
    _sample([(pk, item.observed) for pk, item in seen.items()])


def _sample(observations: list[tuple[int, Observed]]) -> None:
    """Store the counters once per PORTAL_HISTORY_SAMPLE_SECONDS (not while down and idle),
    in one INSERT for them all."""
    now = time.monotonic()
    due = []
    for connection_id, observed in observations:
        if now - _sampled.get(connection_id, -1e9) < settings.PORTAL_HISTORY_SAMPLE_SECONDS:
            continue
        counters = (
            observed.bytes_in,
            observed.bytes_out,
            observed.packets_in,
            observed.packets_out,
        )
        if observed.state != ConnectionState.CONNECTED and not any(counters):
            continue
        due.append((connection_id, *counters))
        _sampled[connection_id] = now
    history.record_samples(due)


def _look_again(router: Router, specs: list[ConnSpec]) -> dict[int, Observed]:
    """These connections' states once more, after CONFIRM_DOWN_AFTER (what cannot be looked at
    is left out: the next sweep, or the monitor, says more)."""
    time.sleep(CONFIRM_DOWN_AFTER)
    looked: dict[int, Observed] = {}
    try:
        with open_session(_uri(router), timeout=VICI_TIMEOUT) as session:
            for spec in specs:
                sas = _list_sas(session, spec.connection_id)
                looked[spec.connection_id] = derive_state(spec, sas)
    except (RouterUnreachable, OSError):
        pass
    return looked


def _owned_connection(connection_id: int, what: str) -> VpnConnection | None:
    """The connection, if it still exists and its router is on this node (else logged)."""
    connection = (
        VpnConnection.objects.select_related("gateway__vpc__router", "customer_gateway")
        .filter(pk=connection_id)
        .first()
    )
    if connection is None:
        log.info("%s: connection %s is gone", what, connection_id)
        return None
    return connection if this_node().owns(connection.gateway.vpc.router) else None


def _uri(router: Router) -> str:
    return this_node().driver.uri(router.pk)


def mark_unreachable(router: Router, error: Exception) -> None:
    """The router's charon does not answer: the router says why (for operators), each of its
    connections says so in a plain sentence (for tenants)."""
    reason = str(error)[:200]
    Router.objects.filter(pk=router.pk).exclude(
        state__in=[RouterState.RESTARTING, RouterState.FAILED]
    ).update(state=RouterState.UNREACHABLE, state_reason=reason)
    message = ROUTER_DOWN
    stale = VpnConnection.objects.filter(gateway__vpc__router=router).exclude(
        state=ConnectionState.ERROR, state_reason=message
    )
    count = _set_state(
        stale,
        ConnectionState.ERROR,
        message,
        event=EventKind.ERROR,
        state_changed=timezone.now(),
        established_at=None,
    )
    log.warning("router %s unreachable (%s); %d connection(s) in error", router.pk, reason, count)


def router_died(router_id: int) -> None:
    """The node's supervision found the router's charon dead (it restarts it next): its tunnels
    went with it. Said at once, as for a router that does not answer; the reconcile and the
    monitor that follow the new charon record each tunnel as it comes back."""
    router = Router.objects.filter(pk=router_id).first()
    if router is not None:
        mark_unreachable(router, RouterUnreachable(_uri(router), "charon exited"))


def mark_reachable(router: Router) -> bool:
    """Record that the router answered; True when connections were reset (re-read them)."""
    changed = router.state != RouterState.RUNNING or bool(router.state_reason)
    if changed:
        log.info("router %s reachable again", router.pk)
        # Connections that were in error only because the router was unreachable are re-derived.
        waiting = VpnConnection.objects.filter(
            gateway__vpc__router=router,
            state=ConnectionState.ERROR,
            state_reason=ROUTER_DOWN,
        )
        reason = "Router reachable again."
        _set_state(waiting, ConnectionState.PENDING, reason, event=EventKind.NEGOTIATING)
    Router.objects.filter(pk=router.pk).update(
        state=RouterState.RUNNING, state_reason="", last_seen=timezone.now()
    )
    return changed


def _set_state(
    connections: QuerySet[VpnConnection],
    state: str,
    reason: str,
    *,
    event: str | None = None,
    **fields: object,
) -> int:
    """Set the state of these connections (a bulk change, without a signal) and, with `event`,
    add that timeline event to each; returns how many changed.

    The rows are locked first, in id order, in one transaction, as every other writer of them
    locks them (agent.record.update_rows, vpn.history.lock_alive), and the filter is applied
    again under the lock. A bare UPDATE locks rows in the order it finds them on disk, which
    is not id order once rows were rewritten: beside the monitor's batch of the same router
    (ids in order) the two deadlocked, and PostgreSQL aborted one of them (measured in the
    bench: the agent's supervision, marking a killed charon's tunnels down, exited on it)."""
    with transaction.atomic():
        locked = history.lock_alive(connections.values_list("pk", flat=True))
        ids = list(connections.filter(pk__in=locked).values_list("pk", flat=True))
        if event is not None:
            history.record_events(ids, event, state=state, reason=reason)
        return VpnConnection.objects.filter(pk__in=ids).update(
            state=state, state_reason=reason, **fields
        )


def _record_results(desired: list[Desired], results: list[OpResult]) -> set[int]:
    """Pushed fingerprints for loads that worked; Error for refusals (charon's words for the
    operator)."""
    failed: dict[int, str] = {}
    for result in results:
        if not result.ok and result.op.connection_id is not None:
            failed.setdefault(result.op.connection_id, result.reason)
    loaded = {r.op.connection_id for r in results if r.ok and r.op.kind == "load_conn"}
    fingerprints: list[tuple[int, None, dict[str, object]]] = []
    for d in desired:
        cid = d.spec.connection_id
        if cid in failed:
            refused(cid, failed[cid])
        elif cid in loaded:
            fields: dict[str, object] = {
                "pushed_fingerprint": d.fingerprint,
                "operator_detail": "",
            }
            fingerprints.append((cid, None, fields))
    update_rows(fingerprints)  # one statement for a thousand loads
    pushed = [d.spec.connection_id for d in desired if d.spec.connection_id in loaded]
    pushed = [cid for cid in pushed if cid not in failed]
    history.record_events(
        pushed, EventKind.CONFIGURED, reason="Configuration loaded into the router."
    )
    return set(failed)


# What the tenant reads when charon refuses a connection's configuration; charon's own words go
# to the log and to the connection's operator_detail (the admin site), never to the tenant.
REFUSED = (
    "The router could not apply this connection's settings; the operators have the details. "
    "Changing the customer gateway's IKE or ESP settings may help."
)


def refused(connection_id: int, words: str) -> None:
    """charon refused an operation of this connection: Error for the tenant, its words for the
    operator."""
    log.warning("connection %s refused by charon: %s", connection_id, words)
    VpnConnection.objects.filter(pk=connection_id).update(operator_detail=words[:255])
    record(connection_id, Observed(ConnectionState.ERROR, REFUSED), event="refused")


def _unreachable(router: Router, error: Exception) -> RouterUnreachable:
    if isinstance(error, RouterUnreachable):
        return error
    return RouterUnreachable(_uri(router), str(error) or type(error).__name__)


def _flatten(grouped: dict[str, list[IkeSa]]) -> Iterable[IkeSa]:
    for sas in grouped.values():
        yield from sas


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
