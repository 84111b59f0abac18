"""The portal's background processes as children of the benchmark, as production runs them.

A Celery worker (serving every router's queue, PORTAL_WORKER_ALL_ROUTERS=1, default
concurrency), Celery beat with the production schedule (reconcile every 30 s, sweep every 5 s)
and the VICI monitor (`manage.py vpn_monitor`, router list re-read every 2 s). Each child runs
in its own process group and is stopped by its pid; its output goes to bench/out/<name>.log.
The pids are also written to bench/out/children.json, so a run that was killed outright can
stop its orphans the next time it starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from bench.env import OUT, ROOT
from bench.stats import say
from portal import processes

PIDS = OUT / "children.json"


class Stack:
    def __init__(self) -> None:
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> None:
        options = ("--without-gossip", "--without-mingle")
        self.spawn("worker", processes.worker("bench@%h", *options))
        self.spawn("beat", processes.beat(OUT / "celerybeat-schedule", loglevel="WARNING"))
        self.spawn("monitor", processes.monitor())
        self.wait_log("worker", "ready.", timeout=60)

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = open(OUT / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the child
        child = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.children[name] = child
        self._write_pids()
        return child

    def stop(self, name: str | None = None) -> None:
        """SIGTERM the child(ren) by process group, SIGKILL what is still there after 15 s."""
        names = [name] if name else list(self.children)
        for each in names:
            child = self.children[each]
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
        for each in names:
            child = self.children.pop(each)
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        self._write_pids()

    def log_text(self, name: str) -> str:
        return (OUT / f"{name}.log").read_text(errors="replace")

    def wait_log(self, name: str, text: str, timeout: float, after: int = 0) -> int:
        """Wait until the child's log holds `text` past byte `after`; return the log's size."""
        path = OUT / f"{name}.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = path.read_bytes()
            if text.encode() in data[after:]:
                return len(data)
            child = self.children.get(name)
            if child is not None and child.poll() is not None:
                raise RuntimeError(f"{name} exited with {child.returncode}:\n{data[-3000:]!r}")
            time.sleep(0.05)
        raise TimeoutError(f"{name} did not log {text!r} within {timeout:g}s")

    def log_size(self, name: str) -> int:
        return (OUT / f"{name}.log").stat().st_size

    def _write_pids(self) -> None:
        PIDS.write_text(json.dumps({n: c.pid for n, c in self.children.items()}))


def stop_orphans() -> None:
    """Stop the children of an earlier run that was killed before it could (by recorded pid,
    and only if that pid still runs from this checkout with the benchmark's lab prefix)."""
    if not PIDS.exists():
        return
    for name, pid in json.loads(PIDS.read_text() or "{}").items():
        if _ours(pid):
            say(f"stopping {name} (pid {pid}) left over from an interrupted run")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    PIDS.unlink()


def _ours(pid: int) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return b"LAB_PREFIX=bench" in environ and Path(cwd) == ROOT
