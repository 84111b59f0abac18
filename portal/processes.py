"""The command lines of the portal's background processes, one definition for everyone who
starts them (the demo, the end-to-end tests, the benchmark; the Docker images spell the same).

- the web server: uvicorn with the portal's ASGI application (pages, and the live pages' event
  streams, which hold a socket each rather than a thread);
- a Celery worker of the `portal` queue (placement and failover of routers);
- Celery beat with the periodic node check;
- a network node's agent (`manage.py network_agent --node NAME`) and the Celery worker it runs
  on its own queue.
"""

import ctypes
import os
import signal
import sys
from pathlib import Path

MANAGE = str(Path(__file__).resolve().parent.parent / "manage.py")
_PR_SET_PDEATHSIG = 1


def _celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "portal", *args]


def web(host: str, port: int | str, *options: str, workers: int = 1) -> list[str]:
    """uvicorn serving portal.asgi. Open event streams never end by themselves, so a stop waits
    at most 2 s for them (the browsers reconnect); the client's address and scheme come from the
    portal's own settings (PORTAL_PROXY_COUNT, SECURE_PROXY_SSL_HEADER), not from uvicorn."""
    return [
        sys.executable,
        *("-m", "uvicorn", "portal.asgi:application"),
        *("--host", host, "--port", str(port), "--workers", str(workers)),
        *("--timeout-graceful-shutdown", "2", "--no-proxy-headers", "--no-server-header"),
        *options,
    ]


def worker(
    hostname: str, *options: str, queue: str = "portal", loglevel: str = "INFO"
) -> list[str]:
    """`hostname` names the worker (Celery expands %h); `options` go on the command line."""
    return _celery("worker", "-Q", queue, "--hostname", hostname, "--loglevel", loglevel, *options)


def beat(schedule: Path | str, loglevel: str = "INFO") -> list[str]:
    """`schedule` is beat's own state file (where it remembers the last run of each task)."""
    return _celery("beat", "--schedule", str(schedule), "--loglevel", loglevel)


def network_agent(node: str, *options: str) -> list[str]:
    return [sys.executable, MANAGE, "network_agent", "--node", node, *options]


def agent_worker(node: str, concurrency: int = 2) -> list[str]:
    """The Celery worker of a node's agent: only that node's queue, no gossip, no remote
    control (settings), so nothing but its own queue's messages ever reaches it."""
    return worker(
        f"node-{node}@%h",
        *("--concurrency", str(concurrency), "--without-gossip", "--without-mingle"),
        queue=f"node-{node}",
    )


def agent_env(node: str) -> dict[str, str]:
    return {**os.environ, "NODE_NAME": node}


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the process that started it dies (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
