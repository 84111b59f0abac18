"""What a network node's agent measures where it happens, for the portal's /metrics.

Four histograms, in seconds:
- `reconcile_seconds`: one reconcile task of a router, from its start to its end;
- `push_seconds`: one push task of a connection (the fast path after an add);
- `task_latency_seconds`: from the moment the portal sent a task (the message's `s2s_sent_at`
  header, network/dispatch.py) to the moment this node's worker starts it; first deliveries
  only (a retry waits on purpose); the two hosts' clocks are assumed in step (NTP);
- `event_lag_seconds`: from the moment the monitor reads a state event off charon's stream to
  the moment the connection's state is written (the list-sas it asks, the confirming look, the
  database write); time the event spent in the socket before it was read is not included.

They are measured in several processes (the agent's monitor threads, each Celery pool child),
so each process keeps its own cumulative histograms in a small JSON file of the node's run
directory, rewritten (atomically) at each observation; the heartbeat adds the files up and
sends the sum with the node's row (`NetworkNode.measurements`). Counts only grow while the agent
runs; a restarted agent starts from zero (Prometheus treats that as a counter reset).

The sum's shape, per series: ``{"buckets": [[upper_bound, cumulative_count], ...],
"count": n, "sum": seconds}`` (the +Inf bucket is `count`).
"""

from __future__ import annotations

import bisect
import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DIRECTORY = "measurements"
DURATIONS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
LATENCIES = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# The upper bounds of each series' buckets.
SERIES: dict[str, tuple[float, ...]] = {
    "reconcile_seconds": DURATIONS,
    "push_seconds": DURATIONS,
    "task_latency_seconds": LATENCIES,
    "event_lag_seconds": LATENCIES,
}


class Recorder:
    """This process's histograms, kept in its own file under `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
        self._lock = threading.Lock()
        self._counts = {name: [0] * (len(bounds) + 1) for name, bounds in SERIES.items()}
        self._sums = dict.fromkeys(SERIES, 0.0)

    def observe(self, series: str, *values: float) -> None:
        bounds = SERIES[series]
        with self._lock:
            for seconds in values:
                seconds = max(seconds, 0.0)
                # Prometheus buckets are "less than or equal": a value on a bound counts in it.
                self._counts[series][bisect.bisect_left(bounds, seconds)] += 1
                self._sums[series] += seconds
            self._write()

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every series this process observed, in the shape of the module's docstring."""
        return {
            name: _cumulative(SERIES[name], counts, self._sums[name])
            for name, counts in self._counts.items()
            if sum(counts)
        }

    def _write(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".tmp")
            partial.write_text(json.dumps(self.snapshot()))
            partial.replace(self.path)
        except OSError as error:
            log.warning("measurements not written to %s: %s", self.path, error)


def _cumulative(bounds: tuple[float, ...], counts: list[int], total: float) -> dict[str, Any]:
    running, buckets = 0, []
    for bound, count in zip(bounds, counts, strict=False):
        running += count
        buckets.append([bound, running])
    return {"buckets": buckets, "count": sum(counts), "sum": total}


_recorders: dict[tuple[int, Path], Recorder] = {}
_recorders_lock = threading.Lock()


def recorder(directory: Path) -> Recorder:
    """This process's recorder (a forked pool child gets its own, with its own file)."""
    key = (os.getpid(), directory)
    with _recorders_lock:
        if key not in _recorders:
            _recorders[key] = Recorder(directory)
        return _recorders[key]


def observe(run_dir: Path, series: str, *seconds: float) -> None:
    """One observation of each value (one write of the process's file for them all)."""
    recorder(run_dir / DIRECTORY).observe(series, *seconds)


@contextlib.contextmanager
def timed(run_dir: Path, series: str) -> Iterator[None]:
    """Observe how long the block took (also when it raised)."""
    start = time.monotonic()
    try:
        yield
    finally:
        observe(run_dir, series, time.monotonic() - start)


def collect(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The sum of every process's histograms on this node (what the heartbeat sends)."""
    counts: dict[str, dict[float, int]] = {}
    totals: dict[str, list[float]] = {}
    for path in sorted((run_dir / DIRECTORY).glob("*.json")):
        try:
            recorded = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # a process writing it right now; its figures come with the next beat
        for name, histogram in recorded.items():
            if name not in SERIES:
                continue
            buckets = counts.setdefault(name, {})
            for bound, count in histogram["buckets"]:
                buckets[bound] = buckets.get(bound, 0) + count
            total = totals.setdefault(name, [0, 0.0])
            total[0] += histogram["count"]
            total[1] += histogram["sum"]
    return {
        name: {
            "buckets": [[bound, counts[name].get(bound, 0)] for bound in SERIES[name]],
            "count": totals[name][0],
            "sum": totals[name][1],
        }
        for name in SERIES
        if name in counts
    }


def reset(run_dir: Path) -> None:
    """Forget what earlier runs of the agent measured (called as the agent starts)."""
    for path in (run_dir / DIRECTORY).glob("*"):
        with contextlib.suppress(OSError):
            path.unlink()
