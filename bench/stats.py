"""Figures: samples, median and p95, the rows of the results table, and waiting for things.

p95 is the nearest-rank percentile (the smallest sample with at least 95 % of the samples at or
below it): with 20 runs it is the 19th fastest, with 5 or fewer it is the slowest.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

START = time.monotonic()


def say(message: str) -> None:
    """One progress line on stderr, stamped with the seconds since the benchmark started."""
    print(f"[{time.monotonic() - START:6.1f}s] {message}", file=sys.stderr, flush=True)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Row:
    """One line of the table: a figure with its median and p95 over `samples` (or as given by
    a tool that computed them, e.g. locust), its target, and what limits it."""

    group: str
    metric: str
    unit: str  # "ms", "s", "queries", "req/s", "x", "count"
    samples: list[float] = field(default_factory=list)
    target: str = ""
    check: Callable[[Row], bool] | None = field(default=None, repr=False)  # target met?
    note: str = ""
    limit: str = ""  # what limits this figure, written down when the target is missed
    given: tuple[float, float, int] | None = None  # (median, p95, runs) computed elsewhere
    text: str = ""  # shown instead of median and p95 (e.g. "12 / 12 / 12" queries)
    recorded_met: bool | None = None  # the verdict of a row read back from results.json

    @property
    def runs(self) -> int:
        return self.given[2] if self.given else len(self.samples)

    @property
    def measured(self) -> bool:
        return bool(self.given or self.samples)

    @property
    def median(self) -> float:
        if self.given:
            return self.given[0]
        return float(statistics.median(self.samples))

    @property
    def p95(self) -> float:
        if self.given:
            return self.given[1]
        return percentile(self.samples, 0.95)

    @property
    def met(self) -> bool | None:
        if self.check is None:
            return self.recorded_met
        if not self.measured:
            return None
        return bool(self.check(self))

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("check")
        data.pop("recorded_met")
        figures = (self.median, self.p95) if self.measured else (None, None)
        data.update(runs=self.runs, median=figures[0], p95=figures[1], met=self.met)
        return data


class Results:
    """Every row measured so far, in order, plus free-form facts (breakdowns, settings)."""

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Results:
        """The rows and facts of a results.json, each row with the verdict it was given."""
        results = cls()
        names = {f.name for f in fields(Row)} - {"check", "recorded_met"}
        for data in document["rows"]:
            row = Row(**{name: data[name] for name in names if name in data})
            if row.given is not None:
                row.given = (row.given[0], row.given[1], int(row.given[2]))
            row.recorded_met = data.get("met")
            results.rows.append(row)
        results.facts = dict(document.get("facts", {}))
        return results

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.facts: dict[str, Any] = {}

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        verdict = {True: "met", False: "MISSED", None: ""}[row.met]
        shown = row.text or f"median {fmt_median(row)}, p95 {fmt_p95(row)}"
        say(f"  {row.group} / {row.metric}: {shown} ({row.runs} runs) {verdict}")
        return row


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"
    if unit == "s":
        return f"{value:.1f} s"
    if unit == "x":
        return f"{value:.1f}x"
    if unit == "req/s":
        return f"{value:.1f} req/s"
    if unit in ("queries", "count"):
        return f"{value:.0f}"
    return f"{value:g} {unit}"


def p95_within(limit: float) -> Callable[[Row], bool]:
    """The commonest target: the p95 is at most `limit` (in the row's unit)."""
    return lambda row: row.p95 <= limit


def fmt_median(row: Row) -> str:
    return fmt(row.median if row.measured else None, row.unit)


def fmt_p95(row: Row) -> str:
    return fmt(row.p95 if row.measured else None, row.unit)


def wait_until(
    check: Callable[[], object],
    timeout: float,
    every: float = 0.01,
    what: str | Callable[[], str] = "condition",
) -> float:
    """Poll until check() is truthy; return the monotonic time it first was. Raise on timeout,
    saying `what` (a callable is asked then, so it can describe the state at that moment)."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return time.monotonic()
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {described}")
        time.sleep(every)


def ms(seconds: float) -> float:
    return seconds * 1000.0
