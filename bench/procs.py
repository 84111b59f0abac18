"""What processes cost, read from /proc: CPU seconds (user + system) and memory (RSS, PSS).

CPU is sampled twice around a quiet window and divided by the wall time between, so 1.0 means
one core busy the whole time. PSS (proportional set size, /proc/<pid>/smaps_rollup) shares each
page among the processes that map it: the figure to add up when sizing a node that runs many
copies of one program (the charons share their libraries); RSS counts every mapped page whole.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process so far (0 when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name (field 2) may hold spaces; the fields after it are plain numbers.
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15)


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy since boot (/proc/stat: all but idle
    and iowait), to weigh a window against its wall time times the number of cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / TICKS


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB; (0, 0) when the process is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        return 0, 0
    return rss, pss


def descendants(pid: int) -> list[int]:
    """Every child, grandchild, ... of the process (its threads' children included)."""
    found: list[int] = []
    queue = [pid]
    while queue:
        parent = queue.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.append(child)
                    queue.append(child)
    return found


@dataclass(frozen=True)
class Usage:
    """One process group's cost over a window: CPU as a share of one core, memory at its end."""

    cpu_share: float
    rss_kib: int
    pss_kib: int


def sample(groups: dict[str, list[int]], seconds: float) -> dict[str, Usage]:
    """Each named group of pids over `seconds`: CPU seconds used ÷ wall seconds, and the
    group's summed RSS and PSS at the end."""
    before = {name: _cpu(pids) for name, pids in groups.items()}
    started = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - started
    usage = {}
    for name, pids in groups.items():
        memory = [memory_kib(pid) for pid in pids]
        usage[name] = Usage(
            cpu_share=(_cpu(pids) - before[name]) / wall,
            rss_kib=sum(rss for rss, _ in memory),
            pss_kib=sum(pss for _, pss in memory),
        )
    return usage


def _cpu(pids: Iterable[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)
