"""This network node, as its agent sees it: who it is, which routers it owns, and the duties that
keep them true (registration, heartbeat, fencing, supervision of every router's charon).

Ownership is the database's word: a router belongs to this node when its row names this node,
and the copy here is current when it was built for the row's generation. A copy of a router the
portal moved elsewhere (this node was presumed dead, or an operator moved it) is removed before
anything else is done with it; a task for a router this node does not own is refused and logged.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone

from agent import measure
from agent.driver import DriverCommandError, DriverUnavailable
from agent.driver.routers import NodeConfig, RouterDriver
from network.choices import RouterState
from network.models import NetworkNode, Router
from network.signals import router_ready
from vpn import history
from vpn.choices import EventKind

log = logging.getLogger(__name__)

VERSION = "s2s-agent/1"
HEARTBEAT_FILE = "heartbeat"
# A charon that dies this many times within the window is shown as failed; the agent then
# tries again only after the window (a crash loop must not hog the node).
CRASH_LIMIT = 5
CRASH_WINDOW = 120.0


def config_from_settings() -> NodeConfig:
    agent = settings.NETWORK_AGENT
    if not agent["NODE_NAME"]:
        raise DriverUnavailable("NODE_NAME is not set (manage.py network_agent --node NAME)")
    return NodeConfig(
        name=str(agent["NODE_NAME"]),
        run_dir=Path(agent["RUN_DIR"]),
        prefix=str(agent["PREFIX"]),
        external_bridge=str(agent["EXTERNAL_BRIDGE"]),
        external_netns=str(agent["EXTERNAL_NETNS"]),
        external_routes=tuple(str(route) for route in agent["EXTERNAL_ROUTES"]),
        datapath=str(agent["DATAPATH"]),
        capacity=int(agent["CAPACITY"]),
    )


class Node:
    """This node: its row, its driver, and what it knows of its routers' charons."""

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.driver = RouterDriver(config)
        self._row: NetworkNode | None = None
        self._crashes: dict[int, deque[float]] = defaultdict(lambda: deque(maxlen=CRASH_LIMIT))
        self.last_error = ""

    # -- identity ---------------------------------------------------------------------------

    @property
    def row(self) -> NetworkNode:
        if self._row is None:
            self._row = self.register()
        return self._row

    def register(self) -> NetworkNode:
        """Find or create this node's row (a node registers itself on first start)."""
        row, created = NetworkNode.objects.get_or_create(
            name=self.config.name, defaults={"capacity": self.config.capacity}
        )
        if created:
            log.info("node %s registered (queue %s)", row.name, row.queue)
        self._row = row
        return row

    def mine(self) -> QuerySet[Router]:
        """The routers the database places on this node (by its name: the row is looked up
        afresh, so a node an operator deleted and that registered again is still itself)."""
        return Router.objects.filter(node__name=self.config.name)

    def owned(self) -> dict[int, int]:
        """Router id → generation of the routers the database places on this node."""
        return dict(self.mine().values_list("pk", "generation"))

    def owns(self, router: Router, *, quiet: bool = False) -> bool:
        """Whether a task for this router may act here; logs the refusal when not."""
        if router.node_id is not None and router.node_id == self.row.pk:
            return True
        self._row = NetworkNode.objects.filter(name=self.config.name).first()
        if router.node_id is not None and self._row is not None and router.node_id == self._row.pk:
            return True
        if quiet:
            return False
        log.warning(
            "refused: router %s belongs to node %s (generation %s), not to %s",
            router.pk,
            router.node_id,
            router.generation,
            self.config.name,
        )
        return False

    # -- the router lifecycle ---------------------------------------------------------------

    def build(self, router_id: int) -> bool:
        """Build (or bring up to date) one router this node owns; True when it is ready."""
        router = Router.objects.select_related("source_nat_ip", "vpc").filter(pk=router_id).first()
        if router is None or not self.owns(router):
            return False
        inside = [(tier.cidr, tier.gateway) for tier in router.vpc.tiers.all()]
        try:
            self.driver.build(router.pk, router.generation, router.public_ip, inside)
        except DriverUnavailable as error:
            # A command or charon that failed for this router: Failed. This host cannot build
            # routers at all (not root, a tool missing): Unreachable, like the node itself.
            failed = isinstance(error, DriverCommandError)
            self.mine().filter(pk=router.pk).update(
                state=RouterState.FAILED if failed else RouterState.UNREACHABLE,
                state_reason=str(error)[:255],
            )
            log.warning("router %s not built on %s: %s", router.pk, self.config.name, error)
            self.last_error = str(error)[:255]
            return False
        self.mine().filter(pk=router.pk).update(
            state=RouterState.RUNNING, state_reason="", last_seen=timezone.now()
        )
        log.info(
            "router %s built on %s (generation %s)", router.pk, self.config.name, router.generation
        )
        router_ready.send(sender=Router, router_id=router.pk)
        return True

    def remove(self, router_id: int) -> None:
        """Remove this node's copy of a router (deleted, moved or fenced)."""
        if router_id in self.driver.local():
            self.driver.remove(router_id)
            log.info("router %s removed from %s", router_id, self.config.name)

    def fence(self) -> list[int]:
        """Remove every copy the database no longer places here, or placed again since (an
        older generation); returns the routers removed. Runs before anything is reconciled."""
        owned = self.owned()
        stale = [
            router_id
            for router_id, generation in self.driver.local().items()
            if owned.get(router_id) != generation
        ]
        for router_id in stale:
            log.warning(
                "fencing: router %s here is generation %s, the portal says %s; removing it",
                router_id,
                self.driver.local().get(router_id),
                owned.get(router_id, "elsewhere"),
            )
            self.driver.remove(router_id)
        return stale

    def resync(self) -> list[int]:
        """Fence, then build whatever this node owns and does not hold; returns those built."""
        self.fence()
        local = self.driver.local()
        built = []
        for router_id in self.owned():
            if router_id not in local and self.build(router_id):
                built.append(router_id)
        return built

    # -- supervision ------------------------------------------------------------------------

    def supervise(self, on_dead: Callable[[int], None] | None = None) -> list[int]:
        """Restart every dead charon of the routers this node holds; returns those restarted.

        `on_dead(router_id)` is told first: every tunnel of that router went down with its
        charon, which no one may have seen (its monitor may not follow it yet, or be between
        two reads), and the states must say so until the new charon's tunnels are up again.
        A charon that keeps dying (CRASH_LIMIT times within CRASH_WINDOW) is left down and its
        router shown as Failed with charon's last words, until the window has passed."""
        restarted = []
        owned = self.owned()
        for router_id in self.driver.local():
            if router_id not in owned or self.driver.charon_running(router_id):
                continue
            crashes, now = self._crashes[router_id], time.monotonic()
            if len(crashes) == CRASH_LIMIT and now - crashes[0] < CRASH_WINDOW:
                self._failed(router_id)
                continue
            if on_dead is not None:
                try:
                    on_dead(router_id)
                except Exception:  # the restart matters more than saying so first
                    log.exception("router %s: marking its dead charon's tunnels failed", router_id)
            self.mine().filter(pk=router_id).update(
                state=RouterState.RESTARTING, state_reason="charon exited; restarting it."
            )
            try:
                started = self.driver.ensure(router_id)
            except DriverUnavailable as error:
                log.warning("router %s: charon not restarted: %s", router_id, error)
                continue
            self.mine().filter(pk=router_id).update(state=RouterState.RUNNING, state_reason="")
            if not started:
                continue  # a build running beside us started it meanwhile
            crashes.append(now)
            self.mine().filter(pk=router_id).update(restarts=F("restarts") + 1)
            history.record_router_event(
                router_id,
                EventKind.ROUTER_RESTARTED,
                "The VPN router's IKE daemon exited and was restarted.",
            )
            log.warning("router %s: charon was dead; restarted", router_id)
            restarted.append(router_id)
        return restarted

    def _failed(self, router_id: int) -> None:
        reason = (
            f"charon died {CRASH_LIMIT} times within {CRASH_WINDOW:.0f} s; last words: "
            f"{self.driver.log_tail(router_id)}"
        )
        updated = (
            self.mine()
            .filter(pk=router_id)
            .exclude(state=RouterState.FAILED)
            .update(state=RouterState.FAILED, state_reason=reason[:255])
        )
        if updated:
            log.error("router %s failed: %s", router_id, reason)

    # -- heartbeat --------------------------------------------------------------------------

    def heartbeat(self) -> None:
        """Tell the portal this node is alive, what it runs and what went wrong last."""
        fields = {
            "version": VERSION,
            "capacity": self.config.capacity,
            "datapath": self.driver.datapath,
            "running_routers": sorted(self.driver.local()),
            "last_error": self.last_error,
            "measurements": measure.collect(self.config.run_dir),
        }
        mine = NetworkNode.objects.filter(name=self.config.name)
        if not mine.update(last_heartbeat=timezone.now(), **fields):
            self.register()  # an operator deleted the row: register again
            mine.update(last_heartbeat=timezone.now(), **fields)
        # For a local health check (the container's): the file's age is the heartbeat's.
        with contextlib.suppress(OSError):
            self.config.run_dir.mkdir(parents=True, exist_ok=True)
            (self.config.run_dir / HEARTBEAT_FILE).touch()


@cache
def this_node() -> Node:
    """The node this process serves (the agent and its Celery worker)."""
    return Node(config_from_settings())
