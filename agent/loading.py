"""Which of this node's routers are being loaded in bulk at this moment.

The worker that loads a router's connections by the hundred (a reconcile after a restart, a
build, a move) says so with a file named after the router in the run directory's `loading`
folder, there while its loads run; the agent's monitor reads the folder (agent.monitor.BulkGate)
and, for those routers, stops following charon's log and holds its writes until the loads are
over. charon formats and sends every log line to a listener of its log, a few per load and a
dozen per negotiation: measured on charon 5.9.8, a thousand loads took 0.53 s with no listener
and 0.85 s with one; with the site live, the negotiations' lines come on top.

A file older than STALE seconds is a worker that died while loading: it is ignored, and the
next load of that router replaces it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

DIRECTORY = "loading"
STALE = 120.0


@contextlib.contextmanager
def marked(run_dir: Path, router_id: int) -> Iterator[None]:
    """The router is loading in bulk while this block runs."""
    directory = run_dir / DIRECTORY
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / str(router_id)
    path.touch()
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def routers(run_dir: Path) -> set[int]:
    """The routers loading in bulk now."""
    now, loading = time.time(), set[int]()
    try:
        entries = os.scandir(run_dir / DIRECTORY)
    except FileNotFoundError:
        return loading
    with entries:
        for entry in entries:
            with contextlib.suppress(FileNotFoundError):  # its load ended meanwhile
                if entry.name.isdigit() and now - entry.stat().st_mtime < STALE:
                    loading.add(int(entry.name))
    return loading
