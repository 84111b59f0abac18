"""The whole product running for end-to-end tests: the lab (real charons in namespaces), a real
Celery worker and the VICI monitor as child processes, all against the test database and Redis.

Used by tests/e2e (lab tests) and tests/browser. Processes are started once per session and
stopped by their pids; the lab is built and torn down around each test.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from portal import processes

ROOT = Path(__file__).resolve().parent.parent
LAB_PREFIX = "t" + secrets.token_hex(2)
LAB_DIR = Path("/run") / f"s2s-{LAB_PREFIX}"


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
        "ROUTER_PROVIDER": "lab",
        "PORTAL_WORKER_ALL_ROUTERS": "1",
        "PORTAL_RECONCILE_SECONDS": "6",
        "PORTAL_SWEEP_SECONDS": "2",
        "PYTHONUNBUFFERED": "1",
    }


class Stack:
    """The running worker and monitor, and how to wait for the database to say something."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        prefix = str(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", ""))
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        for key in broker.keys(prefix + "router-*") + broker.keys(prefix + "portal"):
            broker.delete(key)  # leftovers of unit tests that enqueued without a worker
        self._spawn("monitor", processes.monitor("--refresh", "0.5"))
        self.start_worker()

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the child
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
        for child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()

    def kill_worker(self) -> None:
        """SIGKILL the worker and its pool (its process group), as a crash would."""
        worker = self.children.pop(0)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

    def start_worker(self, name: str = "worker") -> None:
        self._spawn(
            name,
            processes.worker(
                f"{name}.{LAB_PREFIX}@%h",
                *("--concurrency", "2", "--without-gossip", "--without-mingle"),
            ),
        )
        self.children.insert(0, self.children.pop())

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


def lab_fixture() -> Iterator[object]:
    from network.routers import lab

    lab.cache_clear()
    the_lab = lab()
    the_lab.up()
    try:
        yield the_lab
    finally:
        the_lab.down()
        lab.cache_clear()
        shutil.rmtree(LAB_DIR, ignore_errors=True)
