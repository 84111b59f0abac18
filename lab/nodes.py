"""Several network nodes on one machine: one agent process (group) per node, each with its own
run directory and namespace prefix, all plugged into the lab's internet.

The Nodes object is the agents' supervisor in the demo and the tests (in production that is the
container's restart policy): an agent that dies is started again, unless it was stopped on
purpose. Processes are stopped by their pids, never by name.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from agent.driver import Host
from agent.driver.routers import RouterDriver
from lab.world import node_config, node_env
from portal import processes

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent


class Nodes:
    """The lab's network nodes: start, stop, kill and lose them; restart an agent that died."""

    def __init__(
        self,
        log_dir: Path,
        env: dict[str, str] | None = None,
        database_url: Callable[[str], str] | None = None,
    ) -> None:
        """`database_url(node)`: the URL of the node's own database role (see
        `manage.py network_node_role`); without it the agents share the portal's URL."""
        self.log_dir = log_dir
        self.env = env if env is not None else dict(os.environ)
        self.database_url = database_url
        self.agents: dict[str, subprocess.Popen[bytes]] = {}
        self.held: set[str] = set()  # stopped on purpose: not restarted
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._supervise, name="lab-nodes", daemon=True)

    def start(self, *names: str) -> None:
        for name in names:
            self.held.discard(name)
            with self._lock:
                self._spawn(name)
        if not self._watcher.is_alive():
            self._watcher.start()

    def _spawn(self, name: str) -> None:
        current = self.agents.get(name)
        if current is not None and current.poll() is None:
            return
        env = {**self.env, **node_env(name), "PORTAL_ROLE": "agent"}
        env.pop("SECRET_KEY", None)  # a node is not trusted with it
        env["PORTAL_LAB"] = "0"  # an agent runs production code only
        if self.database_url is not None:
            env["DATABASE_URL"] = self.database_url(name)
        env.pop("PSK_ENCRYPTION_KEY", None)
        env["PSK_ENCRYPTION_KEYS"] = ",".join(settings.PSK_ENCRYPTION_KEYS)
        log_file = open(self.log_dir / f"agent-{name}.log", "ab")  # noqa: SIM115 - the child's
        self.agents[name] = subprocess.Popen(
            processes.network_agent(name),
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.info("lab: agent of node %s started pid=%s", name, self.agents[name].pid)

    def _supervise(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                for name, agent in list(self.agents.items()):
                    if agent.poll() is not None and name not in self.held:
                        log.warning(
                            "lab: agent of %s exited (%s); restarting", name, agent.returncode
                        )
                        self._spawn(name)

    def kill(self, name: str) -> None:
        """SIGKILL the node's agent (its whole process group), as a crash would. Its
        supervisor (this object) starts it again; its routers' charons keep running."""
        with self._lock:
            agent = self.agents[name]
            os.killpg(agent.pid, signal.SIGKILL)
            agent.wait()

    def stop(self, name: str, timeout: float = 15) -> None:
        """Stop the node's agent for good (until start); its routers keep running."""
        self.held.add(name)
        with self._lock:
            agent = self.agents.get(name)
            if agent is None or agent.poll() is not None:
                return
            os.killpg(agent.pid, signal.SIGTERM)
            try:
                agent.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(agent.pid, signal.SIGKILL)
                agent.wait()

    def lose(self, name: str) -> None:
        """The node is lost: its agent stops and every namespace and charon it had is gone
        (what it had written down of them stays, as after a crash)."""
        self.stop(name)
        host = self.host(name)
        for router in host.names():
            host.lose(router)

    def host(self, name: str) -> Host:
        return RouterDriver(node_config(name)).host

    def pid(self, name: str) -> int:
        return self.agents[name].pid

    def worker_pids(self, name: str) -> list[int]:
        """The node's Celery worker and its pool: the agent's descendants."""
        found, queue = [], [self.pid(name)]
        while queue:
            pid = queue.pop()
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            found += [int(child) for child in children]
            queue += [int(child) for child in children]
        return found

    def stop_all(self, *, remove_routers: bool = True) -> None:
        self._stopping.set()
        for name in list(self.agents):
            self.stop(name)
        if remove_routers:
            for name in list(self.agents):
                self.host(name).down()
