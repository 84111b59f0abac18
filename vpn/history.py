"""Writing and reading a connection's history (vpn.models.history).

The node agents write (vpn.receivers turns each recorded state change into an event; the agent
records configuration pushes, resets, router restarts, rekeys and traffic samples), the detail
page reads, beat prunes. Each write is one statement; a router's restart is one INSERT for all
of its connections.

A tenant may delete a connection while an agent writes its history: every write first locks the
connections it names (lock_alive) and writes only for those still there, so the delete either
waits for the write and takes its rows with it, or goes first and the write skips the connection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from vpn.choices import EventKind
from vpn.models import ConnectionEvent, TrafficSample, VpnConnection

log = logging.getLogger(__name__)

PRUNE_BATCH = 5000
# Changes that take a tunnel down, for flapping.
DOWN_KINDS = (EventKind.DOWN, EventKind.ERROR)


def lock_alive(connection_ids: Iterable[int]) -> list[int]:
    """Those of these connections that still exist, locked (FOR NO KEY UPDATE, in id order)
    until the caller's transaction ends, so a concurrent delete (vpn.actions.delete_connection
    locks the row first) cannot leave a row behind that still names its connection."""
    return list(
        VpnConnection.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=list(connection_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def record_event(
    connection_id: int,
    kind: str,
    *,
    state: str = "",
    reason: str = "",
    at: datetime | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    """Add one event to a connection's timeline (none if the connection has gone)."""
    with transaction.atomic():
        if not lock_alive([connection_id]):
            return
        ConnectionEvent.objects.create(
            connection_id=connection_id,
            kind=kind,
            state=state,
            reason=reason[:255],
            at=at or timezone.now(),
            detail=detail,
        )


def record_events(
    connection_ids: Iterable[int], kind: str, *, state: str = "", reason: str = ""
) -> None:
    """The same event for several connections, in one INSERT (none for no connection, nor for
    one that has gone)."""
    now = timezone.now()
    with transaction.atomic():
        ConnectionEvent.objects.bulk_create(
            [
                ConnectionEvent(
                    connection_id=cid, kind=kind, state=state, reason=reason[:255], at=now
                )
                for cid in lock_alive(connection_ids)
            ]
        )


@dataclass(frozen=True)
class Change:
    """One timeline event of record_changes."""

    connection_id: int
    kind: str
    state: str
    reason: str
    at: datetime
    detail: dict[str, object] | None = None


def record_changes(changes: Iterable[Change]) -> None:
    """Events of several connections, each its own, in one INSERT (none for a connection that
    has gone): what an agent writes for the changes it recorded in one statement."""
    changes = list(changes)
    if not changes:
        return
    with transaction.atomic():
        alive = set(lock_alive({change.connection_id for change in changes}))
        ConnectionEvent.objects.bulk_create(
            [
                ConnectionEvent(
                    connection_id=change.connection_id,
                    kind=change.kind,
                    state=change.state,
                    reason=change.reason[:255],
                    at=change.at,
                    detail=change.detail,
                )
                for change in changes
                if change.connection_id in alive
            ]
        )


def record_router_event(router_id: int, kind: str, reason: str) -> int:
    """The same event for every connection of a router, in one statement (INSERT ... SELECT);
    returns how many were written. The connections are locked as lock_alive does."""
    # The lock's own query reads the connections table alone (the router's ids come from a
    # sub-select): with values() Django drops `of`, and a lock on the joined gateways and VPCs
    # is refused to a node's role (it may not update them).
    ids = VpnConnection.objects.filter(gateway__vpc__router__id=router_id).values("pk")
    mine = VpnConnection.objects.filter(pk__in=ids).select_for_update(no_key=True).order_by("pk")
    table = ConnectionEvent._meta.db_table
    with transaction.atomic(), db.cursor() as cursor:
        select, params = mine.values(cid=F("pk")).query.sql_with_params()
        cursor.execute(
            f"INSERT INTO {table} (connection_id, at, kind, state, reason) "  # noqa: S608 - names are ours
            f"SELECT mine.cid, %s, %s, '', %s FROM ({select}) AS mine",
            [timezone.now(), kind, reason[:255], *params],
        )
        return cursor.rowcount


def record_sample(
    connection_id: int,
    *,
    bytes_in: int,
    bytes_out: int,
    packets_in: int,
    packets_out: int,
) -> None:
    """One traffic sample (none if the connection has gone)."""
    with transaction.atomic():
        if not lock_alive([connection_id]):
            return
        TrafficSample.objects.create(
            connection_id=connection_id,
            bytes_in=bytes_in,
            bytes_out=bytes_out,
            packets_in=packets_in,
            packets_out=packets_out,
        )


def record_samples(samples: Iterable[tuple[int, int, int, int, int]]) -> None:
    """Traffic samples (connection, bytes in, bytes out, packets in, packets out) in one INSERT
    (none for a connection that has gone)."""
    samples = list(samples)
    if not samples:
        return
    with transaction.atomic():
        alive = set(lock_alive({sample[0] for sample in samples}))
        TrafficSample.objects.bulk_create(
            [
                TrafficSample(
                    connection_id=cid,
                    bytes_in=bytes_in,
                    bytes_out=bytes_out,
                    packets_in=packets_in,
                    packets_out=packets_out,
                )
                for cid, bytes_in, bytes_out, packets_in, packets_out in samples
                if cid in alive
            ]
        )


def prune(now: datetime | None = None) -> int:
    """Delete events and samples older than PORTAL_HISTORY_RETENTION_DAYS, a batch at a time
    (short transactions; the agents keep writing meanwhile). Returns how many rows went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PORTAL_HISTORY_RETENTION_DAYS)
    total = 0
    for model in (ConnectionEvent, TrafficSample):
        while True:
            batch = list(
                model.objects.filter(at__lt=cutoff)
                .order_by()
                .values_list("pk", flat=True)[:PRUNE_BATCH]
            )
            if not batch:
                break
            total += model.objects.filter(pk__in=batch).delete()[0]
    if total:
        log.info("history: %d row(s) older than %s pruned", total, cutoff.isoformat())
    return total


def with_flapping(
    connections: QuerySet[VpnConnection], now: datetime | None = None
) -> QuerySet[VpnConnection]:
    """Annotates `recent_downs` (times down in the last PORTAL_FLAP_MINUTES) in the list's own
    query (a correlated count over the (connection, at) index), so a page of any size costs
    no extra query; VpnConnection.flapping reads it."""
    since = (now or timezone.now()) - timedelta(minutes=settings.PORTAL_FLAP_MINUTES)
    downs = (
        ConnectionEvent.objects.filter(
            connection=OuterRef("pk"), at__gte=since, kind__in=DOWN_KINDS
        )
        .order_by()
        .values("connection")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return connections.annotate(
        recent_downs=Coalesce(Subquery(downs, output_field=IntegerField()), Value(0))
    )
