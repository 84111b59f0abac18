"""The VICI event monitor: one event stream per router, state written the moment charon knows.

Each router gets a thread holding a `listen` session (ike-updown, child-updown, ike-rekey,
child-rekey and charon's log) and a second session for queries (one command in flight per VICI
connection). An up/down/rekey event of "vpn-<id>" triggers a `list-sas` of that IKE SA and the
connection's state is derived and recorded at once; a Disconnected result is confirmed once
after a short pause (list-sas can miss an SA in the middle of a retransmit). Log lines that
explain a failure (authentication failed, no proposal chosen) become the connection's Error.
When a stream breaks (charon restarted), the thread reconnects with capped backoff, asks for a
reconcile and sweeps. The periodic sweep (beat) remains the safety net for lost events.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections import defaultdict, deque
from typing import Any

import vici
from django.db import close_old_connections

from agent import converge, measure
from agent.node import this_node
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
    parse_sas,
    reason_from_log,
)
from vpn.strongswan.session import connect
from vpn.strongswan.spec import ConnSpec
from vpn.strongswan.states import Event

log = logging.getLogger(__name__)

EVENTS = ["ike-updown", "child-updown", "ike-rekey", "child-rekey", "log"]
STATE_EVENTS = {b"ike-updown", b"child-updown", b"ike-rekey", b"child-rekey"}
CONFIRM_DOWN_AFTER = 0.15
REGISTER_GRACE = 0.2
BACKOFF_MAX = 10.0
SA_LOGS_KEPT = 256


class RouterWatch(threading.Thread):
    """Follows one router's charon until stopped."""

    def __init__(self, router_id: int, uri: str) -> None:
        super().__init__(name=f"watch-router-{router_id}", daemon=True)
        self.router_id, self.uri = router_id, uri
        self.stopping = threading.Event()
        self._sockets: list[socket.socket] = []
        self._logs: dict[str, deque[str]] = defaultdict(lambda: deque(maxlen=30))
        self._responding: dict[str, int] = {}  # unnamed IKE SA unique id -> connection id
        self.connected = threading.Event()

    def stop(self) -> None:
        self.stopping.set()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def run(self) -> None:
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                self._follow()
                backoff = 0.5
            except (OSError, RouterUnreachable, vici.exception.SessionException) as error:
                if self.stopping.is_set():
                    break
                self.connected.clear()
                log.warning(
                    "monitor router=%s stream lost: %s; retry in %.1fs",
                    self.router_id,
                    error or type(error).__name__,
                    backoff,
                )
                self._on_lost()
                self.stopping.wait(backoff)
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
        stream, self.query = vici.Session(listen_sock), vici.Session(query_sock)
        events = stream.listen(EVENTS)
        # listen() registers for the events only when first iterated: reconcile a moment
        # later, from another thread, so that nothing it causes happens before we listen.
        threading.Timer(REGISTER_GRACE, self._on_connected).start()
        self.connected.set()
        log.info("monitor router=%s following %s", self.router_id, self.uri)
        for label, message in events:
            if self.stopping.is_set():
                return
            try:
                if label == b"log":
                    self._on_log(message)
                elif label in STATE_EVENTS:
                    with measure.timed(this_node().config.run_dir, "event_lag_seconds"):
                        self._on_state_event(label, message)
            finally:
                # Between events the thread waits on charon, not on PostgreSQL: its connection
                # goes back to the process's pool (with CONN_MAX_AGE 0, the pool's setting),
                # so a node with hundreds of routers holds a handful of connections, not one
                # per router.
                close_old_connections()

    def _close(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._sockets = []

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
            close_old_connections()  # this runs in a timer thread of its own

    def _on_lost(self) -> None:
        close_old_connections()
        try:
            converge.sweep_router(self.router_id)  # marks the router unreachable if it is
        finally:
            close_old_connections()  # not held through the back-off

    def _on_state_event(self, label: bytes, message: dict[str, Any]) -> None:
        down = label == b"ike-updown" and message.get("up") != b"yes"
        names = {key for key, value in message.items() if isinstance(value, dict)}
        if label == b"ike-updown" and not down:
            # An IKE SA came up: the failures logged before are over, whoever records the
            # state (this monitor, a push or the sweep). Kept, they would explain a later,
            # unrelated drop (a peer gone silent read as "No common algorithms").
            for name in names:
                self._logs.pop(name, None)
        for name in names:
            connection_id = connection_id_from_name(name)
            if connection_id is not None:
                self.refresh(connection_id, name, label.decode(), down=down)

    def _on_log(self, message: dict[str, Any]) -> None:
        name = _text(message.get("ikesa-name", b""))
        text = _text(message.get("msg", b""))
        connection_id = connection_id_from_name(name)
        if connection_id is None:
            uniqueid = _text(message.get("ikesa-uniqueid", b""))
            connection_id = self._responding_to(uniqueid, text)
            if connection_id is None:
                return
            name = conn_name(connection_id)
        self._logs[name].append(text)
        if is_failure_log(text):
            # The connection's recent lines, not this one alone: a cause the log proves (say,
            # no config for the device's identity, seen as responder) outweighs the device's
            # refusal of our own attempt, which cannot tell the key from the identities.
            self._fail(connection_id, list(self._logs[name]))

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
        ids = list(
            VpnConnection.objects.filter(
                gateway__vpc__router__id=self.router_id,
                customer_gateway__gateway_ip=hit.group(2),
            ).values_list("pk", flat=True)[:2]
        )
        if len(ids) != 1:
            return None
        if uniqueid:
            self._responding[uniqueid] = ids[0]
            while len(self._responding) > SA_LOGS_KEPT:  # the oldest IKE SAs are forgotten
                self._responding.pop(next(iter(self._responding)))
        return ids[0]

    def refresh(self, connection_id: int, name: str, why: str, *, down: bool = False) -> None:
        """Derive and record one connection's state from a list-sas of its IKE SA.

        Leaving Connected is confirmed once after a short pause (list-sas can miss an SA in
        the middle of a retransmit or a replace). After an IKE SA went down, a new attempt
        that is still negotiating shows as Disconnected ("trying again"), not Connecting.
        """
        connection = _connection(connection_id)
        if connection is None:
            return
        try:
            spec = spec_for(connection)
        except UnreadableKey:
            return  # the reconcile and the sweep record that Error; the stream goes on
        observed = derive_state(spec, self._sas(name))
        if observed.state != ConnectionState.CONNECTED and (
            connection.state == ConnectionState.CONNECTED or down
        ):
            time.sleep(CONFIRM_DOWN_AFTER)
            observed = derive_state(spec, self._sas(name))
        if observed.state == ConnectionState.CONNECTED:
            self._logs.pop(name, None)
        event: Event = "event-down" if down else ("rekey" if "rekey" in why else "event-up")
        converge.record(
            connection_id,
            observed,
            current=connection,
            event=event,
            peer=spec.peer_ip,
            failure=reason_from_log(list(self._logs[name]), spec) if name in self._logs else None,
        )
        log.debug("monitor connection=%s after %s: %s", connection_id, why, observed.state)

    def _fail(self, connection_id: int, lines: list[str]) -> None:
        """The IKE SA's lines explain a failure: Error, with the identities of the connection."""
        connection = _connection(connection_id)
        if connection is None:
            return
        try:
            spec: ConnSpec | None = spec_for(connection)
        except UnreadableKey:
            spec = None  # the reason without the identities; the sweep says the key is unread
        reason = reason_from_log(lines, spec)
        if reason:
            converge.record(
                connection_id, Observed(ConnectionState.ERROR, reason), event="log-failure"
            )

    def _sas(self, name: str) -> list[IkeSa]:
        return [sa for sa in parse_sas(self.query.list_sas({"ike": name})) if sa.name == name]


def _connection(connection_id: int) -> VpnConnection | None:
    close_old_connections()
    return (
        VpnConnection.objects.select_related("gateway__vpc", "customer_gateway")
        .filter(pk=connection_id)
        .first()
    )


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
