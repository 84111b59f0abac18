"""The portal's background processes as children of the benchmark, as production runs them.

- the lab's internet (lab.world.world()), where the customer sites and the routers meet;
- two network nodes (NODES), each a real agent process group started by lab.nodes.Nodes
  (`manage.py network_agent --node NAME`: its Celery worker on the queue node-NAME, the VICI
  monitor of its routers, its heartbeat, the supervision of its charons, the periodic resync and
  sweep); Nodes restarts an agent that dies, as a container's restart policy would;
- the portal's Celery worker (queue `portal`: placement and failover of routers) and Celery beat
  (the periodic node check that fails routers over).

Each child runs in its own process group and is stopped by its pid; its output goes to
bench/out/<name>.log (agents: agent-<node>.log). The pids are also written to
bench/out/children.json, so a run that was killed outright can stop its orphans the next time
it starts.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bench.env import OUT, ROOT
from bench.stats import say, wait_until
from portal import processes

if TYPE_CHECKING:
    from agent.driver import Host

PIDS = OUT / "children.json"
# Names of the benchmark's own: each node's database role (s2s_node_<name>) is cluster-wide, so
# the tests' (n1, n2) and the demo's (edge-1, edge-2) are left alone.
NODES = ("bench-a", "bench-b")


class Stack:
    def __init__(self) -> None:
        from lab.nodes import Nodes

        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.passwords = {node: secrets.token_urlsafe(24) for node in NODES}
        self.nodes = Nodes(OUT, env=os.environ.copy(), database_url=self.node_database_url)
        self._hosts: dict[str, Host] = {}

    def node_database_url(self, node: str) -> str:
        """Each agent connects with its node's own least-privilege role, as in production."""
        from django.db import connection

        from network.management.commands.network_node_role import role_name

        db = connection.settings_dict
        return (
            f"postgres://{role_name(node)}:{self.passwords[node]}@{db['HOST']}:{db['PORT']}/"
            f"{db['NAME']}"
        )

    def start(self) -> None:
        from django.core.management import call_command

        from lab.world import world

        world.cache_clear()
        world().up()
        for node in NODES:
            call_command(
                "network_node_role", node, password=self.passwords[node], stdout=io.StringIO()
            )
        self.nodes.start(*NODES)
        self.start_worker()
        self.spawn("beat", processes.beat(OUT / "celerybeat-schedule", loglevel="WARNING"))
        self.wait_nodes_alive()
        self.write_pids()

    def start_worker(self, **settings: str) -> None:
        """The portal's worker (queue `portal`: placement, failover), with `settings` added to
        its environment; an older one is stopped first."""
        if "worker" in self.children:
            self.stop("worker")
        mark = self.log_size("worker")
        options = ("--concurrency", "1", "--without-gossip", "--without-mingle")
        self.spawn("worker", processes.worker("bench@%h", *options), env=settings)
        self.wait_log("worker", "ready.", timeout=60, after=mark)

    def wait_nodes_alive(self, timeout: float = 60) -> None:
        from network.models import NetworkNode

        def alive() -> bool:
            nodes = NetworkNode.objects.filter(name__in=NODES)
            return sum(node.is_alive() for node in nodes) == len(NODES)

        wait_until(alive, timeout, every=0.1, what="both network nodes to heartbeat")

    def host(self, node: str) -> Host:
        """The router Host of a network node, as its agent builds it."""
        if node not in self._hosts:
            self._hosts[node] = self.nodes.host(node)
        return self._hosts[node]

    def spawn(
        self, name: str, argv: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = open(OUT / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        child = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.children[name] = child
        self.write_pids()
        return child

    def stop(self, name: str | None = None) -> None:
        """SIGTERM the child(ren) by process group, SIGKILL what is still there after 15 s.
        Without a name, the network nodes' agents too (their routers are removed)."""
        if name is None:
            self.nodes.stop_all(remove_routers=True)
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
        self.write_pids()

    def log_path(self, name: str) -> Path:
        return OUT / f"{name}.log"

    def wait_log(self, name: str, text: str, timeout: float, after: int = 0) -> int:
        """Wait until the child's log holds `text` past byte `after`; return the log's size."""
        path = self.log_path(name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = path.read_bytes() if path.exists() else b""
            if text.encode() in data[after:]:
                return len(data)
            child = self.children.get(name)
            if child is not None and child.poll() is not None:
                raise RuntimeError(f"{name} exited with {child.returncode}:\n{data[-3000:]!r}")
            time.sleep(0.05)
        raise TimeoutError(f"{name} did not log {text!r} within {timeout:g}s")

    def log_size(self, name: str) -> int:
        path = self.log_path(name)
        return path.stat().st_size if path.exists() else 0

    def write_pids(self) -> None:
        """Every child's process group, the agents' included (call again after an agent was
        restarted: its new pid replaces the old one)."""
        pids = {n: c.pid for n, c in self.children.items()}
        pids |= {f"agent-{n}": a.pid for n, a in self.nodes.agents.items() if a.poll() is None}
        PIDS.write_text(json.dumps(pids))


class HeartbeatWatch(threading.Thread):
    """Samples how old each node's last heartbeat is (every 0.25 s) while it runs: a node whose
    heartbeat grows older than NETWORK_NODE_DOWN_AFTER gets its routers failed over."""

    def __init__(self) -> None:
        super().__init__(name="bench-heartbeats", daemon=True)
        self.max_age: dict[str, float] = {}
        self._stopping = threading.Event()

    def run(self) -> None:
        from django.db import connection
        from django.utils import timezone

        from network.models import NetworkNode

        try:
            while not self._stopping.wait(0.25):
                now = timezone.now()
                for name, beat in NetworkNode.objects.values_list("name", "last_heartbeat"):
                    if beat is not None:
                        age = (now - beat).total_seconds()
                        self.max_age[name] = max(age, self.max_age.get(name, 0.0))
        finally:
            connection.close()

    def stop(self) -> dict[str, float]:
        self._stopping.set()
        self.join(5)
        return {name: round(age, 1) for name, age in sorted(self.max_age.items())}


@contextlib.contextmanager
def heartbeats() -> Iterator[HeartbeatWatch]:
    watch = HeartbeatWatch()
    watch.start()
    try:
        yield watch
    finally:
        watch.stop()


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
