"""The Celery application. Redis is the broker; tasks are found in each app's tasks.py."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from celery import Celery
from celery.signals import worker_ready

if TYPE_CHECKING:
    from celery.worker.consumer import Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="portal.ping", ignore_result=False)
def ping(value: str) -> str:
    """Round-trip check used by the health test: proves a worker consumes from the broker."""
    return f"pong:{value}"


@worker_ready.connect
def consume_router_queues(sender: Consumer, **kwargs: object) -> None:
    """A worker started with PORTAL_WORKER_ALL_ROUTERS=1 (the demo's and the lab's) serves every
    router's queue; routers provisioned later are added by a broadcast (vpn.queues)."""
    if os.environ.get("PORTAL_WORKER_ALL_ROUTERS") != "1":
        return
    from network.models import Router

    for router in Router.objects.only("id", "queue"):
        sender.add_task_queue(router.queue_name)
