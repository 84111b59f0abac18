"""The benchmark's own world: its database, Redis database, lab and settings, made and removed.

Nothing is shared with the tests or the demo: the database `s2s_bench` (created fresh and
dropped at the end), Redis database 13, the lab under /run/s2s-bench with the prefix `bench`
(its customer sites under sites/, its two network nodes under nodes/<name>, each node's
namespaces prefixed `bench-<name>`). The portal runs with its production settings
(portal.settings, DEBUG off), configured through the environment exactly as a deployment would
be, with the lab app installed (PORTAL_LAB=1); child processes inherit that environment. The
timers of the network nodes (heartbeat, down-after, node check, resync, sweep) are the
production defaults of portal/settings.py; the run records the values it used.
"""

from __future__ import annotations

import os
import platform
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"  # child logs, locust CSVs (ignored by git)
DB_NAME = os.environ.get("BENCH_DB_NAME", "s2s_bench")
PG = os.environ.get("BENCH_PG", "postgres://s2s:s2s@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
LAB_DIR = Path("/run/s2s-bench")
LAB_PREFIX = "bench"
MAX_CONNECTIONS = 2000  # per VPN gateway: the scale benchmark puts 1,010 on one
# The benchmark's tenants do more than the default quotas and change limit allow one tenant:
# 20 VPCs in one account (nodes), 1,010 customer gateways and connections in one (scale), and
# about 80 changes a minute (the click-to-Connected loop adds and deletes a connection every
# 1.5 s). The limits are raised, not removed, so their checks stay in every measured request.
LIMITS = {
    "PORTAL_QUOTA_VPCS": "100",
    "PORTAL_QUOTA_CUSTOMER_GATEWAYS": "2000",
    "PORTAL_QUOTA_CONNECTIONS": "2000",
    "PORTAL_RATE_LIMIT": "1000/minute",
}


def environment() -> dict[str, str]:
    """The settings of every process of the benchmark (this one and its children)."""
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(40),
        "PSK_ENCRYPTION_KEYS": secrets.token_urlsafe(40),
        "SECURE_TLS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "PORTAL_LAB": "1",
        "LAB_DIR": str(LAB_DIR),
        "LAB_PREFIX": LAB_PREFIX,
        "PORTAL_MAX_CONNECTIONS_PER_GATEWAY": str(MAX_CONNECTIONS),
        **LIMITS,
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


def apply_environment() -> None:
    os.environ.pop("PSK_ENCRYPTION_KEY", None)  # the older spelling would have to be a KEYS one
    os.environ.update(environment())
    OUT.mkdir(parents=True, exist_ok=True)


def _admin_connection() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(f"{PG}/postgres", autocommit=True)


def create_database() -> None:
    """A fresh, empty database (a leftover of an interrupted run is dropped first)."""
    drop_database()
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def drop_roles(nodes: tuple[str, ...]) -> None:
    """The network nodes' database roles (cluster-wide; run after the database is dropped)."""
    from network.management.commands.network_node_role import role_name

    with _admin_connection() as conn:
        for node in nodes:
            conn.execute(f'DROP ROLE IF EXISTS "{role_name(node)}"')


def setup_django() -> None:
    """Django's settings and apps (no database access yet)."""
    import logging

    import django

    django.setup()
    # This process's own log: warnings only (the lab's and the actions' INFO lines would drown
    # the progress lines); the children log at LOG_LEVEL to bench/out/.
    logging.getLogger().setLevel(logging.WARNING)


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def node_timers() -> dict[str, float]:
    """The timers of the network nodes this run used (seconds), for the published figures."""
    from django.conf import settings

    agent = settings.NETWORK_AGENT
    return {
        "heartbeat": agent["HEARTBEAT_SECONDS"],
        "down_after": settings.NETWORK_NODE_DOWN_AFTER,
        "node_check": settings.CELERY_BEAT_SCHEDULE["check-network-nodes"]["schedule"],
        "resync": agent["RECONCILE_SECONDS"],
        "sweep": agent["SWEEP_SECONDS"],
    }


def flush_redis() -> None:
    """Empty the benchmark's own Redis database (never another one)."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    os_name = ""
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": _version(["psql", "--version"]),
        "redis": _version(["redis-server", "--version"]),
        "strongswan": _version(["dpkg-query", "-W", "-f=${Version}", "strongswan-charon"]),
    }


def _version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.stdout else ""


def python() -> str:
    return sys.executable
