"""`manage.py vpn_monitor`: keep one VICI event stream per router and record state changes.

In the shape of healthchecks' sendalerts: a SIGTERM flag, the router list re-read every few
seconds, one thread per router that reconnects with capped backoff by itself.
"""

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from network.models import Router
from vpn.monitor import RouterWatch

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Follow every router's strongSwan events and keep VPN connection states true."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue",
            action="append",
            default=[],
            help="Only routers with this agent queue (repeatable); all by default.",
        )
        parser.add_argument(
            "--refresh", type=float, default=2.0, help="Seconds between re-reading the router list."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = threading.Event()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        watches: dict[int, RouterWatch] = {}
        queues = set(options["queue"])
        self.stdout.write("vpn_monitor: following routers (Ctrl-C stops)")
        while not self.stopping.is_set():
            close_old_connections()
            routers = Router.objects.exclude(vici_uri="").only("id", "vici_uri", "queue")
            wanted = {r.pk: r for r in routers if not queues or r.queue_name in queues}
            for router_id in set(watches) - set(wanted):
                watches.pop(router_id).stop()
            for router_id, router in wanted.items():
                watch = watches.get(router_id)
                if watch is not None and watch.uri != router.vici_uri:
                    watches.pop(router_id).stop()
                    watch = None
                if watch is None:
                    watch = watches[router_id] = RouterWatch(
                        router_id, router.vici_uri, router.queue_name
                    )
                    watch.start()
            self.stopping.wait(float(options["refresh"]))
        for watch in watches.values():
            watch.stop()
        for watch in watches.values():
            watch.join(timeout=5)
        self.stdout.write("vpn_monitor: stopped")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()
