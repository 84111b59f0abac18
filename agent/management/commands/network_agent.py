"""`manage.py network_agent --node NAME`: the agent of one network node.

One command starts the node's whole process group:
- a Celery worker (a child process, restarted if it dies) consuming only this node's queue;
- the VICI monitor: one event stream per router this node runs, and its bulk gate (a router
  its worker loads by the hundred is followed without charon's log meanwhile: agent.loading);
- the heartbeat (alive, version, capacity, datapath, the routers it runs);
- supervision: a dead charon is restarted (at once when its monitor's stream breaks, else at
  the next 0.5 s tick; its monitor then connects at once) and reconciled; a crash loop shows
  as Failed;
- the periodic resync (Neutron's "full sync"): fence what moved away, build what is missing,
  reconcile every router, and the list-sas sweep that samples counters;
- after each sweep, another try of each connection the device refused, with a short backoff
  (agent/retry.py: 5 s, doubling, up to the resync period).

In the shape of healthchecks' sendalerts: a SIGTERM flag, `close_old_connections()` every turn,
one log line per action. Stopping the agent leaves its routers' charons running: tunnels stay up
while it is away, and it converges again without flapping when it is back.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from agent import converge, measure, retry
from agent.driver import DriverUnavailable
from agent.monitor import BulkGate, RouterWatch
from agent.node import Node, this_node
from network import dispatch
from network.choices import RouterState
from portal import processes

log = logging.getLogger(__name__)
TICK = 0.5
# More retries due at once than this go out as one reconcile per router (see _retry).
RETRY_BURST = 20


class Command(BaseCommand):
    help = "Run the agent of one network node: its worker, VICI monitor, heartbeat, supervision."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--node", default="", help="This node's name (default: NODE_NAME).")
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["node"]:
            settings.NETWORK_AGENT["NODE_NAME"] = options["node"]
        try:
            node = this_node()
        except DriverUnavailable as error:
            raise CommandError(str(error)) from None
        measure.reset(node.config.run_dir)  # what an earlier run measured is not this run's
        self.stopping = threading.Event()
        self.tick = threading.Event()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        node.register()
        usable = self._check(node)
        if usable:
            node.fence()  # before anything is reconciled: never fight over a moved router
            node.resync()
        node.heartbeat()
        self.worker: subprocess.Popen[bytes] | None = None
        self.concurrency = int(options["concurrency"])
        self.watches: dict[int, RouterWatch] = {}
        self.gate = BulkGate(node.config.run_dir, lambda: self.watches)
        self.gate.start()
        self.stdout.write(f"network_agent: node {node.config.name} on queue {node.config.queue}")
        agent = settings.NETWORK_AGENT
        periods = {
            "heartbeat": float(agent["HEARTBEAT_SECONDS"]),
            "resync": float(agent["RECONCILE_SECONDS"]),
            "sweep": float(agent["SWEEP_SECONDS"]),
        }
        due = {"resync": time.monotonic() + periods["resync"], "sweep": 0.0}
        self.retries = retry.RetrySchedule(cap=periods["resync"])
        # The heartbeat has a thread of its own: a long sweep or resync (a thousand connections
        # on two busy cores) must never make the portal think this node is dead.
        beat = threading.Thread(
            target=self._heartbeat, args=(node, periods["heartbeat"]), name="heartbeat", daemon=True
        )
        beat.start()
        try:
            while not self.stopping.is_set():
                close_old_connections()
                self._keep_worker(node)
                now = time.monotonic()
                if usable:
                    for router_id in node.supervise(on_dead=converge.router_died):
                        if router_id in self.watches:
                            self.watches[router_id].follow_again()
                    self._follow(node)
                    if now >= due["resync"]:
                        due["resync"] = now + periods["resync"]
                        self._resync(node)
                    if now >= due["sweep"]:
                        due["sweep"] = now + periods["sweep"]
                        self._sweep(node)
                close_old_connections()  # not held while it waits (a pooled one goes back)
                self.tick.wait(TICK)  # or less: a monitor lost its stream (charon died?)
                self.tick.clear()
        finally:
            self._shutdown()

    def _heartbeat(self, node: Node, period: float) -> None:
        while not self.stopping.wait(period):
            try:
                node.heartbeat()
            except Exception:
                log.exception("node %s: heartbeat failed", node.config.name)
            finally:
                close_old_connections()

    def _check(self, node: Node) -> bool:
        """Whether this host can build routers; if not, say why on the node and its routers."""
        try:
            node.driver.host.check()
        except DriverUnavailable as error:
            node.last_error = str(error)[:255]
            node.mine().update(state=RouterState.UNREACHABLE, state_reason=node.last_error)
            log.error("node %s cannot build routers: %s", node.config.name, error)
            return False
        return True

    def _keep_worker(self, node: Node) -> None:
        if self.worker is not None and self.worker.poll() is None:
            return
        if self.worker is not None:
            log.warning(
                "node %s: worker exited with %s; restarting it",
                node.config.name,
                self.worker.returncode,
            )
        self.worker = subprocess.Popen(
            processes.agent_worker(node.config.name, concurrency=self.concurrency),
            env=processes.agent_env(node.config.name),
            preexec_fn=processes.die_with_parent,
        )

    def _follow(self, node: Node) -> None:
        """One event stream per router this node owns and holds."""
        wanted = set(node.owned()) & set(node.driver.local())
        for router_id in set(self.watches) - wanted:
            self.watches.pop(router_id).stop()
        for router_id in wanted - set(self.watches):
            watch = RouterWatch(router_id, node.driver.uri(router_id), on_lost=self.tick.set)
            self.watches[router_id] = watch
            watch.start()

    def _resync(self, node: Node) -> None:
        """The periodic guarantee: fence, build what is missing, reconcile every router."""
        try:
            node.resync()
        except DriverUnavailable as error:
            node.last_error = str(error)[:255]
            log.warning("node %s: resync failed: %s", node.config.name, error)
            return
        for router_id in node.owned():
            dispatch.send(node.row, dispatch.RECONCILE_ROUTER, router_id)

    def _sweep(self, node: Node) -> None:
        for router_id in set(node.owned()) & set(node.driver.local()):
            try:
                converge.sweep_router(router_id)
            except Exception:
                log.exception("node %s: sweep of router %s failed", node.config.name, router_id)
        try:
            self._retry(node)
        except Exception:
            log.exception("node %s: retries failed", node.config.name)

    def _retry(self, node: Node) -> None:
        """Another try for each connection the device refused whose backoff is over (a push:
        it initiates a connection without an IKE SA, and does nothing to one negotiating)."""
        routers = set(node.owned()) & set(node.driver.local())
        refused, up, every = retry.failing(routers)
        self.retries.forget(every)
        due = self.retries.due(refused, up, time.monotonic())
        if len(due) > RETRY_BURST:
            # Many at once (a router's thousand connections still coming up after a cold
            # start): one reconcile of each router initiates every one without an IKE SA,
            # instead of a push each queued ahead of a tenant's add.
            log.info("retry %d connection(s) by reconciling routers %s", len(due), sorted(routers))
            for router_id in sorted(routers):
                dispatch.send(node.row, dispatch.RECONCILE_ROUTER, router_id)
            return
        for connection_id in due:
            log.info("retry connection=%s after a refusal", connection_id)
            dispatch.send(node.row, dispatch.PUSH_CONNECTION, connection_id)

    def _shutdown(self) -> None:
        self.gate.stop()
        for watch in self.watches.values():
            watch.stop()
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(15)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()
        for watch in self.watches.values():
            watch.join(timeout=5)
        self.stdout.write("network_agent: stopped (routers left running)")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()
        self.tick.set()
