"""The whole product running for end-to-end tests: the lab's internet and customer sites, two
network nodes (each a real agent process: its Celery worker on its own queue, its VICI monitor,
heartbeat and supervision), the portal's Celery worker and beat, all against the test database
and Redis.

Used by tests/e2e (lab tests) and tests/browser. Processes are started once per session and
stopped by their pids; sites and routers are removed after each test.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from agent.driver import Host
from agent.driver.routers import RouterDriver
from lab.nodes import Nodes
from lab.world import node_config, world
from network.management.commands.network_node_role import role_name
from portal import processes
from tests.alerts.receivers import free_port

ROOT = Path(__file__).resolve().parent.parent
LAB_PREFIX = str(settings.LAB_PREFIX)  # this run's own (portal/settings_test.py)
LAB_DIR = Path(settings.LAB_DIR)
NODES = ("n1", "n2")
ALERT_SMTP_PORT = free_port()  # where the stack's worker sends alert emails


def needs_lab() -> pytest.MarkDecorator:
    return pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)")


def child_env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": url,
        "LAB_DIR": str(LAB_DIR),
        "LAB_PREFIX": LAB_PREFIX,
        "PORTAL_RECONCILE_SECONDS": "4",
        "PORTAL_SWEEP_SECONDS": "2",
        "NODE_HEARTBEAT_SECONDS": "1",
        "NETWORK_NODE_DOWN_AFTER": "6",
        "NETWORK_CHECK_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
        # Alerts (tests/e2e/test_alerts.py): a scan a second, a "minute" of 2 s, the test's own
        # SMTP server and HTTP receiver on loopback.
        "PORTAL_ALERT_SCAN_SECONDS": "1",
        "PORTAL_ALERT_MINUTE_SECONDS": "2",
        "PORTAL_ALERT_ALLOW_LOOPBACK": "1",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(ALERT_SMTP_PORT),
    }


def node_password(node: str) -> str:
    return f"pw-test-{node}"  # roles are cluster-wide: the same for every run


def node_database_url(node: str) -> str:
    db = connection.settings_dict
    role = role_name(node)
    return f"postgres://{role}:{node_password(node)}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Stack:
    """The running processes, and how to wait for the database to say something."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[subprocess.Popen[bytes]] = []
        self.nodes = Nodes(log_dir, env=child_env(), database_url=node_database_url)

    def start(self) -> None:
        prefix = str(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", ""))
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        for key in broker.keys(prefix + "node-*") + broker.keys(prefix + "portal"):
            broker.delete(key)  # leftovers of unit tests that enqueued without a worker
        world.cache_clear()
        world().up()
        for name in NODES:  # each agent with its own least-privilege role, as in production
            call_command(
                "network_node_role", name, password=node_password(name), stdout=io.StringIO()
            )
        self.nodes.start(*NODES)
        self.start_worker()
        self._spawn("beat", processes.beat(self.log_dir / "celerybeat-schedule"))

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        self.children.append(
            subprocess.Popen(
                argv,
                cwd=ROOT,
                env=child_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def stop(self) -> None:
        self.nodes.stop_all()
        for child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        world().down()
        world.cache_clear()
        shutil.rmtree(LAB_DIR, ignore_errors=True)

    def start_worker(self, name: str = "worker") -> None:
        """The portal's own worker (placement and failover of routers)."""
        self._spawn(
            name,
            processes.worker(
                f"{name}.{LAB_PREFIX}@%h",
                *("--concurrency", "1", "--without-gossip", "--without-mingle"),
            ),
        )

    @staticmethod
    def host_of(node: str) -> Host:
        """The router Host of a lab node (as its agent builds it)."""
        return RouterDriver(node_config(node)).host

    def clean(self) -> None:
        """After a test: no site, and no router left on any node."""
        for site in world().names():
            world().remove(site)
        for name in NODES:
            host = self.host_of(name)
            for router in host.names():
                host.remove(router)

    def log_sizes(self) -> dict[str, int]:
        return {p.name: p.stat().st_size for p in self.log_dir.glob("*.log")}

    def logs_since(self, sizes: dict[str, int]) -> str:
        """What every process logged after `sizes` (from log_sizes) were taken."""
        texts = []
        for path in sorted(self.log_dir.glob("*.log")):
            with open(path, "rb") as log:
                log.seek(sizes.get(path.name, 0))
                texts.append(log.read().decode(errors="replace"))
        return "\n".join(texts)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-6000:]}"
            for p in sorted(self.log_dir.glob("*.log"))
        )


def wait_for(
    check: Callable[[], object],
    timeout: float = 20.0,
    every: float = 0.05,
    what: str | Callable[[], str] = "condition",
) -> float:
    """Poll until check() is truthy; returns the seconds it took. Fails saying `what` (a
    callable is asked at the time of failure, so it can describe the state then)."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout:g}s waiting for {described}")
        time.sleep(every)


def lab_fixture(stack: Stack) -> Iterator[Stack]:
    """Per test: the nodes are alive before the test starts; everything it built is removed
    after it (the database rows first, so no agent rebuilds what is being removed)."""
    from network.models import NetworkNode, Vpc
    from vpn.models import CustomerGateway, VpnConnection, VpnGateway

    for name in NODES:
        stack.nodes.start(name)  # a test may have stopped one
    wait_for(
        lambda: sum(n.is_alive() for n in NetworkNode.objects.filter(name__in=NODES)) == 2,
        timeout=30,
        what="both network nodes to heartbeat",
    )
    try:
        yield stack
    finally:
        VpnConnection.objects.all().delete()
        VpnGateway.objects.all().delete()
        CustomerGateway.objects.all().delete()
        Vpc.objects.all().delete()
        stack.clean()
