"""bench/procs.py reads what processes cost from /proc."""

import os
import subprocess
import sys

from bench import procs


def test_it_counts_the_cpu_a_process_spends() -> None:
    before = procs.cpu_seconds(os.getpid())
    total = 0
    while procs.cpu_seconds(os.getpid()) - before < 0.05:
        total += sum(range(10_000))
    assert procs.cpu_seconds(os.getpid()) > before


def test_it_reads_a_process_memory() -> None:
    rss, pss = procs.memory_kib(os.getpid())
    assert rss > 0
    assert 0 < pss <= rss


def test_it_finds_a_child_and_forgets_a_gone_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in procs.descendants(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert procs.cpu_seconds(child.pid) == 0.0
    assert procs.memory_kib(child.pid) == (0, 0)


def test_it_samples_a_group_as_a_share_of_one_core() -> None:
    usage = procs.sample({"me": [os.getpid()]}, 0.2)["me"]
    assert 0 <= usage.cpu_share < 0.5  # asleep while sampled
    assert usage.pss_kib > 0
