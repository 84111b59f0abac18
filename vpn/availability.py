"""Availability and traffic of a connection over a window, from its history: pure functions (no
database, no Django), drawn by the detail page as SVG with a text alternative.

Availability is the fraction of the window's *known* time (since the first recorded state, and
since the connection first came up: setting a new connection up is not an outage) the
connection was Connected; every stretch of other states is a gap, with the reason of the change
that began it. Traffic is bytes per interval from the cumulative counters of the samples (a
counter that went back restarted with a new SA: the interval counts what the new SA carried).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

CONNECTED = "connected"  # vpn.choices.ConnectionState.CONNECTED (a Django module)
# `first_up` when the caller does not say: every recorded state counts.
ALWAYS = datetime.min.replace(tzinfo=UTC)
BAR_WIDTH = 1000  # the SVGs' viewBox units across
TRAFFIC_BUCKETS = 48
GAPS_LISTED = 10  # in the text alternative; the bar draws every gap
EN_DASH = "\u2013"  # between the two ends of a gap


@dataclass(frozen=True)
class Change:
    """The connection entered `state` at `at`, for `reason`."""

    at: datetime
    state: str
    reason: str = ""


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime
    reason: str

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class Availability:
    start: datetime
    end: datetime
    known_from: datetime | None  # None: no state known in the window
    connected_seconds: float
    known_seconds: float
    gaps: tuple[Gap, ...]
    never_up: bool = False  # the connection has not been Connected yet

    @property
    def percent(self) -> float | None:
        if not self.known_seconds:
            return None
        return 100.0 * self.connected_seconds / self.known_seconds

    def x(self, at: datetime) -> float:
        """`at`'s position on a bar BAR_WIDTH wide."""
        span = (self.end - self.start).total_seconds()
        return round(BAR_WIDTH * (at - self.start).total_seconds() / span, 2)

    @property
    def unknown_width(self) -> float:
        """The bar's start before the first recorded state."""
        return BAR_WIDTH if self.known_from is None else self.x(self.known_from)

    @property
    def gap_rects(self) -> list[Rect]:
        """Each gap on the bar (at least 2 units wide, so that a short one shows)."""
        return [
            Rect(self.x(g.start), max(self.x(g.end) - self.x(g.start), 2.0), g.reason)
            for g in self.gaps
        ]


@dataclass(frozen=True)
class Rect:
    x: float
    width: float
    title: str


def availability(
    changes: Iterable[Change],
    *,
    start: datetime,
    end: datetime,
    before: Change | None,
    first_up: datetime | None = ALWAYS,
) -> Availability:
    """The window [start, end) from `before` (the last change before `start`, None when none
    is recorded: the time until the first change is unknown) and the `changes` in it. Time
    before `first_up` (when the connection was first Connected; None: never yet) is not known
    either: a connection being set up is not down."""
    inside = sorted((c for c in changes if start <= c.at < end), key=lambda c: c.at)
    points: list[tuple[datetime, Change | None]] = [(start, before)]
    points += [(c.at, c) for c in inside]
    connected = known = 0.0
    gaps: list[Gap] = []
    gap: tuple[datetime, str] | None = None  # an open gap's start and reason
    known_from: datetime | None = None
    for (at, change), (until, _) in zip(points, [*points[1:], (end, None)], strict=True):
        if change is None or first_up is None or until <= first_up:
            continue  # before the first recorded state, or before it first came up: unknown
        at = max(at, first_up)
        known_from = known_from or at
        seconds = (until - at).total_seconds()
        known += seconds
        if change.state == CONNECTED:
            connected += seconds
            if gap is not None:
                gaps.append(Gap(gap[0], at, gap[1]))
                gap = None
        elif gap is None:
            gap = (at, change.reason)
    if gap is not None:
        gaps.append(Gap(gap[0], end, gap[1]))
    never_up = first_up is None or first_up >= end
    return Availability(start, end, known_from, connected, known, tuple(gaps), never_up)


def describe(result: Availability, window: str, tz: tzinfo, *, dated: bool = False) -> str:
    """The text alternative: "Connected 97.2% of the last 24 h; down 3 times: 03:00-03:12
    (peer not responding), ..." (times in `tz`; with the day when `dated`)."""
    if result.percent is None:
        if result.never_up:
            return f"Not connected yet in the last {window}."
        return f"No state recorded in the last {window}."
    pattern = "%a %d %b %H:%M" if dated else "%H:%M"
    head = f"Connected {result.percent:.1f}% of the last {window}"
    if not result.gaps:
        return head + "; never down."
    times = "time" if len(result.gaps) == 1 else "times"
    parts = []
    for gap in result.gaps[:GAPS_LISTED]:
        start = gap.start.astimezone(tz).strftime(pattern)
        end = "now" if gap.end >= result.end else gap.end.astimezone(tz).strftime("%H:%M")
        reason = f" ({gap.reason.rstrip('.')})" if gap.reason else ""
        parts.append(f"{start}{EN_DASH}{end}{reason}")
    if len(result.gaps) > GAPS_LISTED:
        parts.append(f"and {len(result.gaps) - GAPS_LISTED} more")
    return f"{head}; down {len(result.gaps)} {times}: " + "; ".join(parts) + "."


@dataclass(frozen=True)
class Sample:
    at: datetime
    bytes_in: int
    bytes_out: int


@dataclass(frozen=True)
class Bucket:
    start: datetime
    end: datetime
    bytes_in: int
    bytes_out: int


def traffic(
    samples: Sequence[Sample], *, start: datetime, end: datetime, buckets: int = TRAFFIC_BUCKETS
) -> list[Bucket]:
    """Bytes in and out per bucket of [start, end), from cumulative samples in time order (the
    first may lie before `start`: it is the base of the first interval)."""
    width = (end - start) / buckets
    totals = [[0, 0] for _ in range(buckets)]
    for previous, sample in itertools.pairwise(samples):
        if not start <= sample.at < end:
            continue
        index = min(int((sample.at - start) / width), buckets - 1)
        totals[index][0] += _increase(previous.bytes_in, sample.bytes_in)
        totals[index][1] += _increase(previous.bytes_out, sample.bytes_out)
    return [
        Bucket(start + width * i, start + width * (i + 1), t[0], t[1]) for i, t in enumerate(totals)
    ]


def _increase(before: int, after: int) -> int:
    return after - before if after >= before else after  # a new SA counts from zero


def describe_traffic(buckets: Sequence[Bucket], window: str, tz: tzinfo) -> str:
    total_in = sum(b.bytes_in for b in buckets)
    total_out = sum(b.bytes_out for b in buckets)
    if not total_in and not total_out:
        return f"No traffic recorded in the last {window}."
    busiest = max(buckets, key=lambda b: b.bytes_in + b.bytes_out)
    span = busiest.end - busiest.start
    return (
        f"Traffic in the last {window}: {human_bytes(total_in)} in, "
        f"{human_bytes(total_out)} out; busiest {_span(span)} from "
        f"{busiest.start.astimezone(tz):%H:%M}: {human_bytes(busiest.bytes_in)} in, "
        f"{human_bytes(busiest.bytes_out)} out."
    )


def human_bytes(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if count < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def _span(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


CHART_HEIGHT = 100


@dataclass(frozen=True)
class TrafficBar:
    x: float
    width: float
    in_height: float
    out_height: float
    title: str

    @property
    def out_x(self) -> float:
        return self.x + self.width

    @property
    def in_y(self) -> float:
        return CHART_HEIGHT - self.in_height

    @property
    def out_y(self) -> float:
        return CHART_HEIGHT - self.out_height


@dataclass(frozen=True)
class TrafficChart:
    bars: tuple[TrafficBar, ...]
    peak: str  # the y axis' top, e.g. "1.2 MB per 30 minutes"
    start: str
    middle: str


def chart(buckets: Sequence[Bucket], tz: tzinfo) -> TrafficChart:
    """Geometry of the traffic chart: per bucket, a bar in (solid) and a bar out (hatched)
    side by side, scaled to the busiest bucket; the axes' labels."""
    peak = max((max(b.bytes_in, b.bytes_out) for b in buckets), default=0)
    width = BAR_WIDTH / max(len(buckets), 1) / 2
    bars = tuple(
        TrafficBar(
            x=round(2 * width * i, 2),
            width=round(width, 2),
            in_height=round(CHART_HEIGHT * b.bytes_in / peak, 2) if peak else 0.0,
            out_height=round(CHART_HEIGHT * b.bytes_out / peak, 2) if peak else 0.0,
            title=(
                f"{b.start.astimezone(tz):%H:%M}: {human_bytes(b.bytes_in)} in, "
                f"{human_bytes(b.bytes_out)} out"
            ),
        )
        for i, b in enumerate(buckets)
    )
    span = (buckets[0].end - buckets[0].start) if buckets else timedelta(0)
    first = buckets[0].start if buckets else None
    middle = buckets[len(buckets) // 2].start if buckets else None
    return TrafficChart(
        bars=bars,
        peak=f"{human_bytes(peak)} per {_span(span)}",
        start=f"{first.astimezone(tz):%H:%M}" if first else "",
        middle=f"{middle.astimezone(tz):%H:%M}" if middle else "",
    )
