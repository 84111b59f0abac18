"""Converge one router's charon on the database: a pure plan, then a thin apply.

`plan(desired, actual)` compares what the database wants (ConnSpecs with the fingerprint
last pushed) with what charon reports (get-conns, get-shared, list-sas) and returns the
minimal VICI operations, in order; `plan_reset(spec, ike_sas)` is those of a reset.
`apply(session, ops)` runs them and reports each one.
The database and Celery glue that builds `Desired`/`Actual` and records the results lives
elsewhere; nothing here touches a database or opens a socket.

Behaviour of charon 5.9.8 this relies on (checked against a pair of daemons):
- load-conn of an identical config is a no-op; a changed config with start_action=start
  closes the old SAs and initiates by itself; a new key alone (load-shared) changes nothing
  until the next authentication. Hence: after a change, terminate the old IKE SAs by unique
  id (never by name, which would also kill the SA charon just started) and initiate.
- initiate never duplicates an installed CHILD_SA ("not establishing CHILD_SA ... due to
  existing duplicate"), so an extra initiate is harmless.
- unload-conn of an active (start) conn closes its SAs; of a passive one it leaves them up,
  so we terminate them too. Unloading first means a peer that re-initiates at once finds
  no config.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import vici
from vici.exception import CommandException

from vpn.strongswan import pipeline
from vpn.strongswan.render import (
    child_names,
    conn_name,
    connection_id_from_name,
    connection_id_from_shared_id,
    render_conn,
    render_shared,
    shared_id,
    spec_fingerprint,
)
from vpn.strongswan.sas import IKE_GONE, IKE_UP, IkeSa, reason_from_log
from vpn.strongswan.spec import ConnSpec

OpKind = Literal[
    "load_conn", "load_shared", "unload_conn", "unload_shared", "terminate_ike", "initiate"
]
# A forced terminate destroys the IKE SA without waiting for the peer's answer, so this
# bound is rarely reached; waiting at all keeps a later initiate from racing the delete.
TERMINATE_TIMEOUT_MS = 5000
_ALREADY_GONE = re.compile(r"not found|no matching", re.IGNORECASE)
_ALREADY_GONE_KINDS = frozenset({"unload_conn", "unload_shared", "terminate_ike"})
# Loads carry no answer we need before the next command: a real session sends a run of them
# pipelined (vpn.strongswan.pipeline), a command name for each op kind.
_LOAD_COMMANDS = {"load_conn": "load-conn", "load_shared": "load-shared"}


@dataclass(frozen=True)
class Desired:
    spec: ConnSpec
    fingerprint: str
    pushed_fingerprint: str | None  # recorded after the last successful push

    @classmethod
    def of(cls, spec: ConnSpec, pushed_fingerprint: str | None) -> Desired:
        return cls(spec, spec_fingerprint(spec), pushed_fingerprint or None)


@dataclass(frozen=True)
class Actual:
    conns: frozenset[str]  # get-conns
    shared_ids: frozenset[str]  # get-shared
    ike_sas: dict[str, list[IkeSa]]  # list-sas, grouped by name (sas.by_name)


@dataclass(frozen=True)
class Op:
    kind: OpKind
    name: str
    connection_id: int | None
    payload: dict | None = field(default=None, repr=False)  # may hold the pre-shared key


@dataclass(frozen=True)
class OpResult:
    op: Op
    ok: bool
    error: str = ""  # charon's errmsg, e.g. "CHILD_SA config 'vpn-3' not found"
    log: tuple[str, ...] = ()  # control-log messages of a waited-for initiate/terminate

    @property
    def reason(self) -> str:
        """Why it failed, as a tenant would read it ("" when it did not)."""
        if self.ok:
            return ""
        return reason_from_log(self.log) or self.error


def plan(desired: list[Desired], actual: Actual) -> list[Op]:
    """The operations that make charon match `desired`: unloads, loads, then terminates
    and initiates. Connections whose names are not "vpn-<id>" are left alone; a healthy,
    unchanged connection yields no operation at all."""
    wanted = {conn_name(d.spec.connection_id): d for d in desired}
    wanted_shared = {shared_id(d.spec.connection_id) for d in desired}
    unloads: list[Op] = []
    loads: list[Op] = []
    terminates: list[Op] = []
    initiates: list[Op] = []

    for name in _ours_sorted(actual.conns - wanted.keys(), connection_id_from_name):
        unloads.append(Op("unload_conn", name, connection_id_from_name(name)))
    for key in _ours_sorted(actual.shared_ids - wanted_shared, connection_id_from_shared_id):
        unloads.append(Op("unload_shared", key, connection_id_from_shared_id(key)))
    for name in _ours_sorted(actual.ike_sas.keys() - wanted.keys(), connection_id_from_name):
        terminates.extend(_terminate(name, _live(actual.ike_sas[name])))

    for d in sorted(desired, key=lambda d: d.spec.connection_id):
        spec, name = d.spec, conn_name(d.spec.connection_id)
        present = name in actual.conns
        sas = _live(actual.ike_sas.get(name, []))
        changed = d.pushed_fingerprint is not None and d.pushed_fingerprint != d.fingerprint
        key_missing = shared_id(spec.connection_id) not in actual.shared_ids
        if not present or key_missing or d.fingerprint != d.pushed_fingerprint:
            loads.extend(_load(spec))
        if spec.passive:
            if changed:
                terminates.extend(_terminate(name, sas))  # the device re-initiates
            continue
        if changed and sas:
            terminates.extend(_terminate(name, sas))
            initiates.extend(_initiate(spec, child_names(spec)))
        elif present and not sas:
            # A new conn is started by its start_action on load; a loaded one is not.
            initiates.extend(_initiate(spec, child_names(spec)))
        elif any(sa.state in IKE_UP for sa in sas):
            have = {child.name for sa in sas for child in sa.children}
            initiates.extend(_initiate(spec, [c for c in child_names(spec) if c not in have]))
    return unloads + loads + terminates + initiates


def plan_reset(spec: ConnSpec, ike_sas: Iterable[IkeSa]) -> list[Op]:
    """A reset: terminate every IKE SA of the connection (by unique id, whatever its state,
    as plan() does), then initiate each of its children unless it is passive (the device
    re-initiates). `ike_sas` may be a whole list-sas: SAs of other connections are ignored.

    The empty-URI guard is the caller's: before opening a session it checks that the router
    has a VICI endpoint (a non-empty URI; a router built where the caller runs), and if not,
    logs and returns as the reconcile and the push do. A session on "" raises ValueError, and
    before the router is built there is nothing to reset: its build loads and starts it all.
    """
    name = conn_name(spec.connection_id)
    ops = _terminate(name, [sa for sa in ike_sas if sa.name == name])
    if not spec.passive:
        ops += _initiate(spec, child_names(spec))
    return ops


def apply(session: Any, ops: Iterable[Op], *, timeout_ms: int = 0) -> list[OpResult]:
    """Run `ops` on a `vici.Session`; one result per op, in order.

    timeout_ms=0 is the fast path: initiate returns at once (timeout -1) and the event
    monitor reports the outcome. With timeout_ms > 0, initiate waits that long and its
    control-log explains a failure (`OpResult.reason`). charon refusing an op becomes a
    failed result; "not found" on unload/terminate counts as done. Socket errors propagate:
    they are transient, and the caller retries the whole reconcile. On a real
    `vici.Session`, each run of loads is sent pipelined (see _apply_loads).
    """
    results: list[OpResult] = []
    loads: list[Op] = []  # a run of loads not yet sent
    for op in ops:
        if op.kind in _LOAD_COMMANDS and isinstance(session, vici.Session):
            loads.append(op)
            continue
        results += _apply_loads(session, loads)
        loads = []
        log: list[str] = []
        try:
            _run(session, op, timeout_ms, log)
        except CommandException as exc:
            error = _errmsg(exc)
            if op.kind in _ALREADY_GONE_KINDS and _ALREADY_GONE.search(error):
                results.append(OpResult(op, ok=True, log=tuple(log)))
            else:
                results.append(OpResult(op, ok=False, error=error, log=tuple(log)))
        else:
            results.append(OpResult(op, ok=True, log=tuple(log)))
    results += _apply_loads(session, loads)
    return results


def _apply_loads(session: vici.Session, ops: list[Op]) -> list[OpResult]:
    """A run of load ops on a real session, pipelined: with a thousand connections on a fresh
    charon (a router built, or its charon restarted) charon never waits for us between them.
    Each op is still answered on its own, a refusal failing that op alone."""
    if not ops:
        return []
    commands = [(_LOAD_COMMANDS[op.kind], op.payload or {}) for op in ops]
    errors = pipeline.requests(session, commands)
    return [
        OpResult(op, ok=error is None, error=error or "")
        for op, error in zip(ops, errors, strict=True)
    ]


def _run(session: Any, op: Op, timeout_ms: int, log: list[str]) -> None:
    if op.kind == "load_conn":
        session.load_conn(op.payload)
    elif op.kind == "load_shared":
        session.load_shared(op.payload)
    elif op.kind == "unload_conn":
        session.unload_conn({"name": op.name})
    elif op.kind == "unload_shared":
        session.unload_shared({"id": op.name})
    elif op.kind == "terminate_ike":
        timeout = str(timeout_ms if timeout_ms > 0 else TERMINATE_TIMEOUT_MS)
        request = {**(op.payload or {}), "force": "yes", "timeout": timeout}
        _consume(session.terminate(request), log)  # a generator: nothing is sent until read
    elif op.kind == "initiate":
        timeout = str(timeout_ms) if timeout_ms > 0 else "-1"
        request = {**(op.payload or {}), "timeout": timeout, "init-limits": "no"}
        _consume(session.initiate(request), log)
    else:
        raise ValueError(f"unknown op kind {op.kind!r}")


def _consume(events: Iterable[dict], log: list[str]) -> None:
    for event in events:
        message = event.get("msg")
        if message is not None:
            log.append(message.decode(errors="replace") if isinstance(message, bytes) else message)


def _errmsg(exc: CommandException) -> str:
    return str(exc).removeprefix("Command failed: ")


def _load(spec: ConnSpec) -> list[Op]:
    cid = spec.connection_id
    return [
        Op("load_shared", shared_id(cid), cid, render_shared(spec)),
        Op("load_conn", conn_name(cid), cid, render_conn(spec)),
    ]


def _terminate(name: str, sas: list[IkeSa]) -> list[Op]:
    cid = connection_id_from_name(name)
    return [
        Op("terminate_ike", name, cid, {"ike-id": str(sa.uniqueid)})
        for sa in sorted(sas, key=lambda sa: sa.uniqueid)
    ]


def _initiate(spec: ConnSpec, children: list[str]) -> list[Op]:
    ike = conn_name(spec.connection_id)
    return [
        Op("initiate", child, spec.connection_id, {"child": child, "ike": ike})
        for child in children
    ]


def _live(sas: list[IkeSa]) -> list[IkeSa]:
    return [sa for sa in sas if sa.state not in IKE_GONE]


def _ours_sorted(names: Iterable[str], id_of: Any) -> list[str]:
    ours = [name for name in names if id_of(name) is not None]
    return sorted(ours, key=lambda name: (id_of(name), name))
