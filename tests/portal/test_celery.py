"""A task goes through Redis to a real Celery worker process and its result comes back."""

import os
import secrets
import signal
import subprocess
from pathlib import Path

import pytest

from portal import processes
from portal.celery import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.worker
def test_it_runs_a_task_on_a_real_worker_through_redis() -> None:
    queue = f"ping-{secrets.token_hex(4)}"
    worker = subprocess.Popen(
        processes.worker(
            f"{queue}@%h",
            *("--pool", "solo", "--without-gossip", "--without-mingle"),
            queue=queue,
            loglevel="WARNING",
        ),
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"},
        start_new_session=True,
    )
    try:
        result = ping.apply_async(args=["hello"], queue=queue)
        assert result.get(timeout=30) == "pong:hello"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
