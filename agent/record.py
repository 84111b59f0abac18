"""Writing down what charon says: the one place that stores an observed state, used by the
reconciler, the sweep and the event monitor alike.

`record_many` takes every observation a caller made at once (a sweep's list-sas of a router,
the events a monitor read within a few milliseconds, a reconcile's list-sas after loading a
thousand connections) and writes them in a handful of statements: the state machine
(vpn.strongswan.states.next_state) decides each connection's new state, the changes go out as
one conditional ``UPDATE ... FROM (VALUES ...)`` (a row whose state someone else changed
meanwhile is left alone, as `filter(pk=..., state=old).update(...)` would), refreshed counters
as another, and one `states_changed` signal carries the whole batch (its receivers write the
timeline in one INSERT, in the same transaction as the rows, and publish in one Redis round
trip once it commits). One log line per transition.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection as db
from django.db import transaction
from django.db.models import Field
from django.utils import timezone

from vpn import history, signals
from vpn.choices import ConnectionState, EventKind
from vpn.models import VpnConnection
from vpn.strongswan.sas import Observed
from vpn.strongswan.states import Event, next_state

log = logging.getLogger(__name__)

# The monitor's observations that are looks at charon after an event (see record_many).
MONITOR_LOOKS: frozenset[Event] = frozenset({"event-up", "event-down", "rekey"})
# Rows of one UPDATE ... FROM (VALUES ...): ~15 parameters each, far below PostgreSQL's 65,535.
ROWS_PER_STATEMENT = 500


@dataclass(frozen=True)
class Seen:
    """One observation of a connection: `connection` is the row as the caller read it (its
    state is the condition of the write), the rest what `next_state` takes."""

    connection: VpnConnection
    observed: Observed
    event: Event = "sweep"
    peer: str = ""
    failure: str | None = field(default=None)


def record(
    connection_id: int,
    observed: Observed,
    *,
    current: VpnConnection | None = None,
    event: Event = "sweep",
    peer: str = "",
    failure: str | None = None,
) -> bool:
    """Store one observation (see record_many). Returns True when the state changed."""
    if current is None:
        current = VpnConnection.objects.filter(pk=connection_id).first()
        if current is None:
            return False
    return bool(record_many([Seen(current, observed, event, peer, failure)]))


def record_many(seen: Sequence[Seen], *, again_if_moved: Iterable[Event] = ()) -> set[int]:
    """Store these observations; returns the ids whose state changed (one log line each).

    Which state each becomes is decided by the one state machine (vpn.strongswan.states);
    counters and algorithms are refreshed whatever the state, and only what differs from the
    row as read is written (a sweep of idle tunnels writes nothing).

    A state change is written only while the row still has the state it was read with. An
    observation of an event in `again_if_moved` whose row another writer changed since it was
    read is decided once more from the row as it is now and written (once; if it moves again,
    the next event or sweep looks again). The monitor passes its looks at charon (MONITOR_LOOKS:
    each a list-sas made after an event, newer than the snapshot a sweep or a reconcile wrote
    meanwhile): dropping them left tunnels that were up on record as Connecting or Disconnected
    until the next sweep (seen in the benchmark: 150 of 1,000 for 3.5 s after a cold load). A
    sweep's or a reconcile's snapshot may be the older one, and a failure read in charon's log
    was weighed against the row as read, so those are dropped as before.
    """
    changed, moved = _record(seen)
    again = set(again_if_moved)
    items = {s.connection.pk: s for s in seen if s.connection.pk in moved and s.event in again}
    if items:
        rows = VpnConnection.objects.filter(pk__in=list(items))
        changed |= _record([dataclasses.replace(items[row.pk], connection=row) for row in rows])[0]
    return changed


def _record(seen: Sequence[Seen]) -> tuple[set[int], set[int]]:
    """record_many's one pass: (the ids whose state changed, the ids whose state change was
    not written because the row's state was no longer the one read)."""
    now = timezone.now()
    changes: list[tuple[int, str, dict[str, object]]] = []
    refreshes: list[tuple[int, None, dict[str, object]]] = []
    rekeys: list[history.Change] = []
    told: dict[int, tuple[str, str, str, Event]] = {}
    for item in seen:
        current, observed = item.connection, item.observed
        decided = next_state(
            current.state,
            current.state_reason,
            observed,
            item.event,
            peer=item.peer,
            failure=item.failure,
        )
        state, reason = decided.state, decided.reason
        fields: dict[str, object] = {
            "bytes_in": observed.bytes_in,
            "bytes_out": observed.bytes_out,
            "packets_in": observed.packets_in,
            "packets_out": observed.packets_out,
        }
        if state == ConnectionState.CONNECTED:
            fields["established_at"] = observed.established_at(now)
            fields["negotiated"] = observed.negotiated[:255]
            fields["ike_version"] = observed.ike_version
            fields["nat_t"] = observed.nat_t
            fields["local_ts"] = observed.local_ts[:255]
            fields["remote_ts"] = observed.remote_ts[:255]
            if item.event == "rekey":  # charon's ike-rekey/child-rekey, seen by the monitor
                fields["last_rekey"] = now
                rekeys.append(
                    history.Change(current.pk, EventKind.REKEY, state, observed.negotiated, now)
                )
        elif state in (ConnectionState.DISCONNECTED, ConnectionState.ERROR):
            fields["established_at"] = None
        if state != current.state:
            fields.update(state=state, state_reason=reason[:255], state_changed=now)
            changes.append((current.pk, current.state, fields))
            told[current.pk] = (current.state, state, reason, item.event)
            continue
        if reason != current.state_reason:
            fields["state_reason"] = reason[:255]
        fresh = {name: value for name, value in fields.items() if not _same(current, name, value)}
        if fresh:
            refreshes.append((current.pk, None, fresh))
    # The rows and their timeline commit together: whoever reads a new state (a page, a
    # test) finds the event that explains it, never a moment before it is written. (A sweep
    # that changed nothing opens no transaction.)
    done: list[signals.StateChange] = []
    changed: set[int] = set()
    if changes or refreshes:
        with transaction.atomic():
            changed = update_rows([*changes, *refreshes]) & set(told)
            history.record_changes(rekeys)  # their rows are locked already, by update_rows
            done = [signals.StateChange(pk, *told[pk][:3], now, told[pk][3]) for pk in changed]
            done.sort(key=lambda change: change.connection_id)
            if done:
                signals.states_changed.send_robust(sender=VpnConnection, changes=tuple(done))
    for change in done:
        log.info(
            "connection %s %s -> %s: %s",
            change.connection_id,
            change.old_state,
            change.state,
            change.reason,
        )
    return changed, set(told) - changed


def update_rows(rows: Iterable[tuple[int, str | None, dict[str, object]]]) -> set[int]:
    """UPDATE each (id, expected state or None, fields) of vpn_vpnconnection, rows with the same
    columns in one statement (``UPDATE ... FROM (VALUES ...)``); a row with an expected state
    is written only while it still has that state. Returns the ids written.

    The rows are locked first, in id order, in the caller's transaction or one of their own,
    as every history write locks them (vpn.history.lock_alive): two writers of one router's
    rows (the monitor's, a sweep, a reconcile's pushed fingerprints) then wait for each other
    instead of deadlocking in the orders of their UPDATEs, and a delete waits or goes first."""
    groups: dict[tuple[bool, tuple[str, ...]], list[tuple[int, str | None, list[object]]]] = {}
    for pk, expected, fields in rows:
        columns = tuple(sorted(fields))
        values = [fields[name] for name in columns]
        groups.setdefault((expected is not None, columns), []).append((pk, expected, values))
    written: set[int] = set()
    if not groups:
        return written
    with transaction.atomic():
        history.lock_alive({pk for grouped in groups.values() for pk, _, _ in grouped})
        for (conditional, columns), grouped in groups.items():
            for start in range(0, len(grouped), ROWS_PER_STATEMENT):
                chunk = grouped[start : start + ROWS_PER_STATEMENT]
                written |= _update(conditional, columns, chunk)
    return written


def _update(
    conditional: bool, columns: tuple[str, ...], members: list[tuple[int, str | None, list[object]]]
) -> set[int]:
    meta = VpnConnection._meta
    model_fields = [_field(name) for name in columns]
    names = ["id", *(["old_state"] if conditional else []), *columns]
    casts = ["integer", *(["text"] if conditional else [])]
    casts += [f.db_type(db) or "text" for f in model_fields]
    row_sql = "(" + ", ".join(f"CAST(%s AS {cast})" for cast in casts) + ")"
    params: list[Any] = []
    for pk, expected, values in members:
        params.append(pk)
        if conditional:
            params.append(expected)
        params += [f.get_db_prep_value(v, db) for f, v in zip(model_fields, values, strict=True)]
    table = meta.db_table
    sets = ", ".join(f"{_field(c).column} = v.{c}" for c in columns)
    where = "t.id = v.id" + (" AND t.state = v.old_state" if conditional else "")
    sql = (
        f"UPDATE {table} AS t SET {sets} "  # noqa: S608 - every name is the model's own
        f"FROM (VALUES {', '.join([row_sql] * len(members))}) AS v({', '.join(names)}) "
        f"WHERE {where} RETURNING t.id"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _field(name: str) -> Field[Any, Any]:
    found = VpnConnection._meta.get_field(name)
    assert isinstance(found, Field)
    return found


def _same(current: VpnConnection, name: str, value: object) -> bool:
    """Whether the stored field already says this (an established_at derived from charon's
    whole seconds counts as the same within 2 s)."""
    stored = getattr(current, name)
    if name == "established_at" and stored is not None and isinstance(value, datetime):
        return abs((stored - value).total_seconds()) < 2
    return bool(stored == value)
