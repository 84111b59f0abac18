"""The VICI event monitor: one event stream per router, state written the moment charon knows.

Each router gets a thread holding a `listen` session (ike-updown, child-updown, ike-rekey,
child-rekey and charon's log) and a second thread that writes: the reader only notes which
connections an event concerns; the writer takes everything noted within COALESCE seconds of
the first note as one batch, asks a `list-sas` of each of its IKE SAs over its own query session
(one command in flight per VICI connection), derives the states and records them together
(agent.record.record_many: one UPDATE, one timeline INSERT, one publish for the batch). A
Disconnected result is confirmed once after a short pause (list-sas can miss an SA in the middle
of a retransmit), one pause for the whole batch. Log lines that explain a failure
(authentication failed, no proposal chosen) become the connection's Error. A thousand tunnels
coming up at once (a router's charon restarted) are thus written in a few batches instead of a
thousand round trips of their own.
While the router's worker loads its connections in bulk (agent.loading), and while the
negotiations the loads began go on, the stream leaves charon's log (charon formats and sends
each line to every listener, a dozen a negotiation, a cost borne by the loads and the
negotiations), and a batch waits for the loads to end (BULK_HOLD at most): a failure in that
window is explained at the connection's next try (agent.retry: 5 s later); its state is
written when the loads end, as every state noted meanwhile.
When a stream breaks (charon restarted), the thread reconnects with capped backoff, asks for a
reconcile and sweeps. The periodic sweep (beat) remains the safety net for lost events.

No thread holds a PostgreSQL connection while it waits (for charon, for notes, through a
backoff): the reader uses one only to name an unnamed IKE SA, the writer only to read and to
write a batch's rows, each giving it back at once (to the process's pool: CONN_MAX_AGE 0). A
node following hundreds of routers thus needs a few connections, not one or two a router.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vici
from django.db import close_old_connections
from django.db import connection as db

from agent import converge, loading, measure, record
from agent.node import this_node
from agent.stream import EventStream
from network import dispatch
from vpn.choices import ConnectionState
from vpn.crypto import UnreadableKey
from vpn.models import VpnConnection
from vpn.specs import spec_for
from vpn.strongswan.errors import RouterUnreachable
from vpn.strongswan.render import conn_name, connection_id_from_name
from vpn.strongswan.sas import (
    PEER_CONFIGS,
    IkeSa,
    Observed,
    derive_state,
    is_failure_log,
    parse_ike_sa,
    parse_sas,
    reason_from_log,
)
from vpn.strongswan.session import connect
from vpn.strongswan.spec import ConnSpec
from vpn.strongswan.states import Event

log = logging.getLogger(__name__)

STATES = ["ike-updown", "child-updown", "ike-rekey", "child-rekey"]
STATE_EVENTS = {name.encode() for name in STATES}
LOG = "log"
CONFIRM_DOWN_AFTER = 0.15
REGISTER_GRACE = 0.2
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 10.0
SA_LOGS_KEPT = 256
SAS_NEGOTIATING_KEPT = 8
# How long the writer waits after the first note of a batch for more (charon reports a burst of
# events within milliseconds: a restart, a cold load, a site that comes back).
COALESCE = 0.02
# While the router loads in bulk (agent.loading) a batch waits for the loads to end, this long
# at most: its writes would compete with the loads for the node's cores.
BULK_HOLD = 1.0
# How often the node's BulkGate looks at which routers load in bulk.
BULK_POLL = 0.02
# After a bulk load the log stays left while the tunnels it started negotiate (charon sends a
# dozen lines for each): until no state event came for SETTLE_QUIET seconds, SETTLE_MAX at most.
SETTLE_QUIET = 0.5
SETTLE_MAX = 30.0
CONNECTED = ConnectionState.CONNECTED


@dataclass
class Note:
    """What the reader noted about one connection since the last batch, in order: state events
    (merged while nothing else came between) and failures explained by the log."""

    name: str
    # ("state", (why, the failure lines as they stood then, or None)) /
    # ("failure", (lines, the failing IKE SA's unique id))
    steps: list[tuple[str, Any]] = field(default_factory=list)
    down: bool = False  # an SA of it went down (kept for the state step that follows)
    # The IKE SAs its up events showed (by unique id), while no later event took them down: an
    # event's body is the IKE SA as list-sas shows it, so an up one spares the writer a look.
    shown: dict[int, IkeSa] = field(default_factory=dict)
    read_at: list[float] = field(default_factory=list)  # when each state event was read


class RouterWatch(threading.Thread):
    """Follows one router's charon until stopped."""

    def __init__(self, router_id: int, uri: str, on_lost: Callable[[], None] | None = None) -> None:
        super().__init__(name=f"watch-router-{router_id}", daemon=True)
        self.router_id, self.uri = router_id, uri
        # Told when the stream breaks (the agent's supervision looks at charon at once).
        self.on_lost = on_lost
        self.stopping = threading.Event()
        self._again = threading.Event()  # follow_again(): end the back-off now
        self._sockets: list[socket.socket] = []
        self._logs: dict[str, deque[str]] = defaultdict(lambda: deque(maxlen=30))
        self._responding: dict[str, int] = {}  # unnamed IKE SA unique id -> connection id
        # IKE SAs (unique ids) each connection logged lines of, and those that were still
        # negotiating when another IKE SA of the connection came up: duplicates (both ends
        # initiated at once) whose failures say nothing about the tunnel.
        self._negotiating: dict[str, dict[str, None]] = defaultdict(dict)  # an ordered set
        self._beside: dict[str, str] = {}  # unique id -> connection name
        # The newest IKE SA (unique id) of each connection that came up: charon numbers IKE SAs
        # in the order it creates them, so one with a lower id began before it, and was a
        # duplicate too, even when none of its lines reached us before (it began before we
        # listened: a new router's first push initiates while its monitor is starting).
        self._came_up: dict[str, int] = {}
        self.connected = threading.Event()
        self._noted: dict[int, Note] = {}  # connection id -> what happened to it
        self._wake = threading.Condition()
        self.query: vici.Session | None = None
        self._stream: EventStream | None = None
        self._bulk = False  # the router loads in bulk: the log is left, batches are held
        self._settling_since: float | None = None  # a bulk load ended; the log still left
        self._last_event = 0.0  # when the reader last read a state event
        self._toggling = threading.Lock()

    def stop(self) -> None:
        self.stopping.set()
        self._again.set()
        with self._wake:
            self._wake.notify_all()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def run(self) -> None:
        writer = threading.Thread(
            target=self._write, name=f"write-router-{self.router_id}", daemon=True
        )
        writer.start()
        backoff = BACKOFF_FIRST
        while not self.stopping.is_set():
            try:
                self._follow()
                backoff = BACKOFF_FIRST
            except (OSError, RouterUnreachable, vici.exception.SessionException) as error:
                if self.stopping.is_set():
                    break
                if self.connected.is_set():  # it was followed: a new outage starts over
                    backoff = BACKOFF_FIRST
                    if self.on_lost is not None:
                        self.on_lost()
                self.connected.clear()
                log.warning(
                    "monitor router=%s stream lost: %s; retry in %.1fs",
                    self.router_id,
                    error or type(error).__name__,
                    backoff,
                )
                self._on_lost()
                self._again.wait(backoff)
                self._again.clear()
                backoff = min(backoff * 2, BACKOFF_MAX)
            except Exception:
                log.exception("monitor router=%s failed; restarting its stream", self.router_id)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
            finally:
                self._close()

    # -- the stream -------------------------------------------------------------------------

    def _follow(self) -> None:
        listen_sock = connect(self.uri, timeout=None)
        query_sock = connect(self.uri, timeout=5.0)
        self._sockets = [listen_sock, query_sock]
        self._start_over()
        stream, self.query = EventStream(listen_sock), vici.Session(query_sock)
        stream.register([*STATES, LOG] if self._log_wanted() else STATES)
        self._stream = stream
        self._follow_log()  # as the router is now, should a bulk load have begun meanwhile
        # Registered: reconcile a moment later, from another thread (what it causes is seen).
        threading.Timer(REGISTER_GRACE, self._on_connected).start()
        self.connected.set()
        log.info("monitor router=%s following %s", self.router_id, self.uri)
        for label, message in stream:
            if self.stopping.is_set():
                return
            if label == b"log":
                self._on_log(message)
            elif label in STATE_EVENTS:
                self._on_state_event(label, message)

    def _start_over(self) -> None:
        """Forget what was learnt of the IKE SAs of the charon followed until now. Their unique
        ids are a charon's own count, from 1 again after it restarted: kept, they would misjudge
        the new IKE SAs that reuse them (a real failure ignored as a duplicate's, or log lines
        joined to another connection)."""
        with self._wake:
            self._logs.clear()
            self._responding.clear()
            self._negotiating.clear()
            self._beside.clear()
            self._came_up.clear()

    def follow_again(self) -> None:
        """charon was (re)started: connect now instead of at the end of the back-off."""
        self._again.set()

    def bulk(self, in_bulk: bool) -> None:
        """Told by the node's BulkGate every BULK_POLL seconds whether the router loads in bulk.
        While it does, charon's log is left and the batches are held (BULK_HOLD at most);
        after, the log stays left while the negotiations the loads began go on (until the
        router's state events pause for SETTLE_QUIET, SETTLE_MAX at most)."""
        now = time.monotonic()
        if in_bulk:
            if not self._bulk:
                self._bulk, self._settling_since = True, None
                log.info("monitor router=%s: bulk load begins", self.router_id)
                self._follow_log()
            return
        if self._bulk:
            self._bulk, self._settling_since = False, now
            log.info("monitor router=%s: bulk load ends", self.router_id)
            with self._wake:
                self._wake.notify_all()  # the held batch goes now
        settling = self._settling_since
        if settling is not None and (
            now - self._last_event >= SETTLE_QUIET or now - settling >= SETTLE_MAX
        ):
            self._settling_since = None
            log.info("monitor router=%s: negotiations settled; log followed", self.router_id)
            self._follow_log()

    def _log_wanted(self) -> bool:
        return not self._bulk and self._settling_since is None

    def _follow_log(self) -> None:
        """Register or leave charon's log on the stream, as the router's bulk state says at
        this moment (read under the lock: the last caller applies the latest state)."""
        with self._toggling:
            if self._stream is None:
                return
            # A broken stream: its reader reconnects and registers as the router is then.
            with contextlib.suppress(OSError):
                self._stream.toggle(LOG, self._log_wanted())

    def _close(self) -> None:
        self._stream = None
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._sockets = []

    # -- the writer -------------------------------------------------------------------------

    def _note(
        self,
        connection_id: int,
        name: str,
        step: tuple[str, Any],
        down: bool,
        sa: IkeSa | None = None,
        up: bool = False,
    ) -> None:
        with self._wake:
            note = self._noted.setdefault(connection_id, Note(name))
            if step[0] == "state":
                # The failure lines as they stood at this event (as if it were handled at
                # once): lines logged later, by a negotiation that follows it, must not
                # explain it.
                lines = list(self._logs[name]) if name in self._logs else None
                step = ("state", (step[1], lines))
                note.read_at.append(time.monotonic())
                note.down |= down
                if sa is None:
                    note.shown.clear()  # a rekey: its body is not one IKE SA; look
                elif up:
                    note.shown[sa.uniqueid] = sa
                else:
                    note.shown.pop(sa.uniqueid, None)
                if note.steps and note.steps[-1][0] == "state":
                    note.steps[-1] = step  # one look at charon serves both events
                    self._wake.notify()
                    return
            note.steps.append(step)
            self._wake.notify()

    def _write(self) -> None:
        """The writer thread: a batch at a time, until stopped. What is noted while the stream
        is down waits for it (the reconnect's sweep covers what was lost)."""
        while not self.stopping.is_set():
            with self._wake:
                while not self._noted and not self.stopping.is_set():
                    self._wake.wait(1.0)
            if self.stopping.is_set():
                return
            self.stopping.wait(COALESCE)
            if self._bulk:
                with self._wake:
                    self._wake.wait_for(
                        lambda: not self._bulk or self.stopping.is_set(), timeout=BULK_HOLD
                    )
            try:
                self.flush()
            except (OSError, RouterUnreachable, vici.exception.SessionException) as error:
                log.info(
                    "monitor router=%s: batch not written (%s); the sweep will",
                    self.router_id,
                    error,
                )
            except Exception:
                log.exception("monitor router=%s: batch failed", self.router_id)
            finally:
                close_old_connections()  # a thread of its own

    def flush(self) -> None:
        """Write everything noted so far: each connection's steps in order (almost always one),
        every connection's n-th step in the same batch.

        The database is used in short turns (read the rows, then write them) and given back in
        between: the looks at charon (list-sas, the confirmation pause) hold no PostgreSQL
        connection, so a node's routers share a few pooled ones instead of holding one each."""
        with self._wake:
            noted, self._noted = self._noted, {}
        if not noted:
            return
        try:
            rows = self._rows(noted)
            specs: dict[int, ConnSpec | None] = {}
            for pk, connection in rows.items():
                try:
                    specs[pk] = spec_for(connection)
                except UnreadableKey:
                    specs[pk] = None  # the reconcile and the sweep record that Error
        finally:
            close_old_connections()
        round_ = 0
        while True:
            steps = {
                pk: (note, note.steps[round_])
                for pk, note in noted.items()
                if pk in rows and round_ < len(note.steps)
            }
            if not steps:
                break
            try:
                if round_:  # a later step starts from what the earlier one wrote
                    rows.update(self._rows(steps))
                    close_old_connections()
                seen = self._look(rows, specs, steps)
                record.record_many(seen, again_if_moved=record.MONITOR_LOOKS)
            finally:
                close_old_connections()
            round_ += 1
        now = time.monotonic()
        lags = [now - at for note in noted.values() for at in note.read_at]
        if lags:
            measure.observe(this_node().config.run_dir, "event_lag_seconds", *lags)

    @staticmethod
    def _rows(ids: Iterable[int]) -> dict[int, VpnConnection]:
        return {
            c.pk: c
            for c in VpnConnection.objects.select_related(
                "gateway__vpc", "customer_gateway"
            ).filter(pk__in=list(ids))
        }

    def _look(
        self,
        rows: dict[int, VpnConnection],
        specs: dict[int, ConnSpec | None],
        steps: dict[int, tuple[Note, tuple[str, Any]]],
    ) -> list[record.Seen]:
        """What to record for these steps, from charon alone (no database)."""
        seen: list[record.Seen] = []
        looks: dict[int, tuple[Note, tuple[str, list[str] | None], ConnSpec]] = {}
        for pk, (note, (kind, payload)) in steps.items():
            spec, connection = specs[pk], rows[pk]
            if kind == "failure":
                lines, uniqueid = payload
                if self._superseded(note.name, uniqueid):
                    # Another IKE SA of the connection, begun after this one, came up in the
                    # moments since the failure was logged: the two crossed.
                    continue
                reason = reason_from_log(lines, spec)
                if reason and not (
                    connection.state == ConnectionState.CONNECTED
                    and self._up_beside(note.name, spec)
                ):
                    error = Observed(ConnectionState.ERROR, reason)
                    seen.append(record.Seen(connection, error, "log-failure"))
            elif spec is not None:
                looks[pk] = (note, payload, spec)
        observed = {pk: self._state(note, spec) for pk, (note, _, spec) in looks.items()}
        again = [
            pk
            for pk, (note, _, _) in looks.items()
            if observed[pk].state != ConnectionState.CONNECTED
            and (rows[pk].state == ConnectionState.CONNECTED or note.down)
        ]
        if again:
            time.sleep(CONFIRM_DOWN_AFTER)  # once for the whole batch
            for pk in again:
                note, _, spec = looks[pk]
                observed[pk] = derive_state(spec, self._sas(note.name))
        for pk, (note, (why, lines), spec) in looks.items():
            name = note.name
            failure = None
            if observed[pk].state == ConnectionState.CONNECTED:
                with self._wake:
                    self._logs.pop(name, None)
            elif lines is not None:
                failure = reason_from_log(lines, spec)
            event: Event = (
                "event-down" if note.down else ("rekey" if "rekey" in why else "event-up")
            )
            seen.append(
                record.Seen(rows[pk], observed[pk], event, peer=spec.peer_ip, failure=failure)
            )
            log.debug("monitor connection=%s after %s: %s", pk, why, observed[pk].state)
        return seen

    # -- reactions --------------------------------------------------------------------------

    def _on_connected(self) -> None:
        """A (re)started charon may have lost everything: reconcile (on this node's own queue,
        where every change to charon is made), then sweep now."""
        if self.stopping.is_set():
            return
        try:
            dispatch.send(this_node().row, dispatch.RECONCILE_ROUTER, self.router_id)
            converge.sweep_router(self.router_id)
        finally:
            db.close()  # this runs in a timer thread of its own, which ends here

    def _on_lost(self) -> None:
        close_old_connections()
        try:
            converge.sweep_router(self.router_id)  # marks the router unreachable if it is
        finally:
            db.close()  # not held through the backoff, nor while it waits for charon again

    def _on_state_event(self, label: bytes, message: dict[str, Any]) -> None:
        self._last_event = time.monotonic()
        down = label == b"ike-updown" and message.get("up") != b"yes"
        names = {key for key, value in message.items() if isinstance(value, dict)}
        if label == b"ike-updown" and not down:
            # An IKE SA came up: the failures logged before are over, whoever records the
            # state (this monitor, a push or the sweep). Kept, they would explain a later,
            # unrelated drop (a peer gone silent read as "No common algorithms").
            with self._wake:
                for name in names:
                    self._logs.pop(name, None)
                    up_id = _text(message[name].get("uniqueid", b""))
                    if up_id.isdigit():
                        self._came_up[name] = max(int(up_id), self._came_up.get(name, 0))
                    for other in self._negotiating.pop(name, {}):
                        if other != up_id:
                            self._beside[other] = name
                    while len(self._beside) > SA_LOGS_KEPT:  # the oldest are forgotten
                        self._beside.pop(next(iter(self._beside)))
        rekey = label in (b"ike-rekey", b"child-rekey")
        for name in names:
            connection_id = connection_id_from_name(name)
            if connection_id is not None:
                sa = None if rekey else parse_ike_sa(name, message[name])
                up = message.get("up") == b"yes"
                self._note(connection_id, name, ("state", label.decode()), down, sa, up)

    def _on_log(self, message: dict[str, Any]) -> None:
        name = _text(message.get("ikesa-name", b""))
        text = _text(message.get("msg", b""))
        uniqueid = _text(message.get("ikesa-uniqueid", b""))
        connection_id = connection_id_from_name(name)
        if connection_id is None:
            connection_id = self._responding_to(uniqueid, text)
            if connection_id is None:
                return
            name = conn_name(connection_id)
        with self._wake:
            if self._superseded(name, uniqueid):
                return  # a duplicate of an IKE SA that came up: its failure is not the tunnel's
            if uniqueid:
                ids = self._negotiating[name]
                ids[uniqueid] = None
                if len(ids) > SAS_NEGOTIATING_KEPT:  # a device failing for days: the latest
                    ids.pop(next(iter(ids)))
            self._logs[name].append(text)
            lines = list(self._logs[name])
        if is_failure_log(text):
            # The connection's recent lines, not this one alone: a cause the log proves (say,
            # no config for the device's identity, seen as responder) outweighs the device's
            # refusal of our own attempt, which cannot tell the key from the identities.
            self._note(connection_id, name, ("failure", (lines, uniqueid)), False)

    def _responding_to(self, uniqueid: str, text: str) -> int | None:
        """The connection of an IKE SA charon responds to before it has found a config (so
        without a name, as when none matches the device's identity). charon names the
        device's address when it looks for one: ours is the one connection of this router
        with that customer gateway address. Later lines of that IKE SA follow it."""
        if uniqueid and uniqueid in self._responding:
            return self._responding[uniqueid]
        hit = PEER_CONFIGS.search(text)
        if hit is None:
            return None
        close_old_connections()
        try:
            ids = list(
                VpnConnection.objects.filter(
                    gateway__vpc__router__id=self.router_id,
                    customer_gateway__gateway_ip=hit.group(2),
                ).values_list("pk", flat=True)[:2]
            )
        finally:
            db.close()  # not held while it waits for the next event
        if len(ids) != 1:
            return None
        if uniqueid:
            self._responding[uniqueid] = ids[0]
            while len(self._responding) > SA_LOGS_KEPT:  # the oldest IKE SAs are forgotten
                self._responding.pop(next(iter(self._responding)))
        return ids[0]

    def _superseded(self, name: str, uniqueid: str) -> bool:
        """Whether this IKE SA of the connection was a duplicate of one that came up: it was
        negotiating then, or began before it."""
        with self._wake:
            if uniqueid in self._beside:
                return True
            return uniqueid.isdigit() and int(uniqueid) < self._came_up.get(name, 0)

    def _up_beside(self, name: str, spec: ConnSpec | None) -> bool:
        """Whether the tunnel recorded Connected is still up in spite of a failure just
        logged: then the failure was a negotiation beside it (both ends initiating at once, a
        duplicate CHILD_SA) and is over, as an "up" makes every earlier failure over. Made an
        Error, it would stay one through the next drop ("an Error stays while the tunnel is
        down"). A device that refuses a rekey is seen failing again once the tunnel is down."""
        try:
            if spec is None or derive_state(spec, self._sas(name)).state != CONNECTED:
                return False
        except (OSError, RouterUnreachable, vici.exception.SessionException):
            return False  # the failure stands; the sweep says more
        log.debug("monitor %s: a failure logged beside its established tunnel, not an Error", name)
        with self._wake:
            self._logs.pop(name, None)
        return True

    def _state(self, note: Note, spec: ConnSpec) -> Observed:
        """The connection's state from the bodies of its up events when they show it Connected
        (each is its IKE SA as list-sas shows it, every expected child included: a thousand
        tunnels coming up cost no list-sas each); otherwise from a list-sas."""
        if note.shown and not note.down:
            shown = derive_state(spec, note.shown.values())
            if shown.state == ConnectionState.CONNECTED:
                return shown
        return derive_state(spec, self._sas(note.name))

    def _sas(self, name: str) -> list[IkeSa]:
        if self.query is None:
            raise RouterUnreachable(self.uri, "not following it yet")
        return [sa for sa in parse_sas(self.query.list_sas({"ike": name})) if sa.name == name]


class BulkGate(threading.Thread):
    """Tells each router's monitor when its router starts and ends a bulk load (agent.loading:
    the worker's mark), looking every BULK_POLL seconds (a listing of one small folder)."""

    def __init__(self, run_dir: Path, watches: Callable[[], dict[int, RouterWatch]]) -> None:
        super().__init__(name="bulk-gate", daemon=True)
        self.run_dir, self.watches = run_dir, watches
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(BULK_POLL):
            try:
                now_loading = loading.routers(self.run_dir)
                for router_id, watch in list(self.watches().items()):
                    watch.bulk(router_id in now_loading)
            except Exception:
                log.exception("bulk gate failed; looking again")
                self.stopping.wait(1.0)

    def stop(self) -> None:
        self.stopping.set()


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
