"""A connection's timeline on its detail page, a page at a time, newest first, paged by keyset:
each link names the edge of the page it came from (`?before=<cursor>`, `?after=<cursor>`), and a
page is one read of 51 rows on the (connection, newest first) index, as cheap a year back as on
the first page. No COUNT of the whole history (a year of events is 100,000 rows, most of the
page's time when it was counted), and no OFFSET; a page also stays the same rows while new
events arrive (the page refreshes itself on each), where a page number would slide.

A cursor is an event's time (microseconds since the epoch) and id: the order is (at, id), as a
timeline's events may share a time (a router's restart writes one for each connection at once).
A cursor that does not parse is ignored (the newest page): it only ever selects among the
events of the one connection the tenant may see (vpn.views.connection_detail finds it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet
from django.http import QueryDict

from vpn.models import ConnectionEvent

PER_PAGE = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CURSOR = re.compile(r"(-?\d{1,17})\.(\d{1,18})")


@dataclass(frozen=True)
class Cursor:
    """An event's place in the timeline."""

    at: datetime
    pk: int

    @classmethod
    def of(cls, event: ConnectionEvent) -> Cursor:
        return cls(event.at, event.pk)

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        match = _CURSOR.fullmatch(text or "")
        if match is None:
            return None
        try:
            at = _EPOCH + int(match[1]) * _MICROSECOND
        except OverflowError:
            return None
        return cls(at, int(match[2]))

    def __str__(self) -> str:
        return f"{(self.at - _EPOCH) // _MICROSECOND}.{self.pk}"


@dataclass(frozen=True)
class TimelinePage:
    """Up to PER_PAGE events, newest first, and the query strings of the pages around it
    ("" where there is none: this is the newest, or the oldest, page)."""

    events: list[ConnectionEvent]
    newer: str
    older: str
    query: str  # this page's own (its region's refresh asks for the same rows)

    @property
    def is_newest(self) -> bool:
        return not self.newer

    @property
    def is_oldest(self) -> bool:
        return not self.older


def timeline_page(events: QuerySet[ConnectionEvent], params: QueryDict) -> TimelinePage:
    """The page of `events` (one connection's) that `params` ask for: `before` or `after` a
    cursor, `oldest`, or else the newest."""
    newest_first = events.order_by("-at", "-id")
    if params.get("oldest"):
        return _oldest(events)
    before, after = Cursor.parse(params.get("before")), Cursor.parse(params.get("after"))
    if before is not None:
        rows = list(
            newest_first.filter(at__lte=before.at).filter(  # the index's range; the rest filters
                Q(at__lt=before.at) | Q(id__lt=before.pk)
            )[: PER_PAGE + 1]
        )
        if rows:  # else every event older than the cursor has gone (pruned)
            return _page(rows, newer=True, query=f"before={before}")
        return _oldest(events)
    if after is not None:
        rows = list(
            events.order_by("at", "id")
            .filter(at__gte=after.at)
            .filter(Q(at__gt=after.at) | Q(id__gt=after.pk))[: PER_PAGE + 1]
        )
        if len(rows) > PER_PAGE:
            return _page(rows[PER_PAGE - 1 :: -1], newer=True, older=True, query=f"after={after}")
        # Fewer than a page is newer than the cursor: the newest page holds them all.
    return _page(list(newest_first[: PER_PAGE + 1]), newer=False, query="")


def _oldest(events: QuerySet[ConnectionEvent]) -> TimelinePage:
    rows = list(events.order_by("at", "id")[: PER_PAGE + 1])
    more = len(rows) > PER_PAGE
    return _page(
        rows[PER_PAGE - 1 :: -1], newer=more, older=False, query="oldest=1" if more else ""
    )


def _page(
    rows: list[ConnectionEvent], *, newer: bool, query: str, older: bool | None = None
) -> TimelinePage:
    """`rows` newest first; one more than a page (from the newer end) says that older exist."""
    if older is None:
        older = len(rows) > PER_PAGE
    shown = rows[:PER_PAGE]
    return TimelinePage(
        events=shown,
        newer=f"after={Cursor.of(shown[0])}" if newer and shown else "",
        older=f"before={Cursor.of(shown[-1])}" if older and shown else "",
        query=query,
    )
