"""The Celery application. Redis is the broker; tasks are found in each app's tasks.py."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="portal.ping", ignore_result=False)
def ping(value: str) -> str:
    """Round-trip check used by the health test: proves a worker consumes from the broker."""
    return f"pong:{value}"
