"""The command lines of the portal's background processes, one definition for everyone who
starts them (the demo, the end-to-end tests, the benchmark; the Docker images spell the same).

- a Celery worker of the `portal` queue (and, with PORTAL_WORKER_ALL_ROUTERS=1, every router's);
- Celery beat with the periodic reconcile and sweep;
- the VICI event monitor (`manage.py vpn_monitor`).
"""

import sys
from pathlib import Path

MANAGE = str(Path(__file__).resolve().parent.parent / "manage.py")


def _celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "portal", *args]


def worker(
    hostname: str, *options: str, queue: str = "portal", loglevel: str = "INFO"
) -> list[str]:
    """`hostname` names the worker (Celery expands %h); `options` go on the command line."""
    return _celery("worker", "-Q", queue, "--hostname", hostname, "--loglevel", loglevel, *options)


def beat(schedule: Path | str, loglevel: str = "INFO") -> list[str]:
    """`schedule` is beat's own state file (where it remembers the last run of each task)."""
    return _celery("beat", "--schedule", str(schedule), "--loglevel", loglevel)


def monitor(*options: str) -> list[str]:
    return [sys.executable, MANAGE, "vpn_monitor", *options]
