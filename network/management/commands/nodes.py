"""`manage.py nodes`: the network nodes, their health and their routers, at a glance."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from network.models import NetworkNode


class Command(BaseCommand):
    help = "List the network nodes: alive or not, heartbeat age, routers, capacity, state."

    def handle(self, *args: Any, **options: Any) -> None:
        nodes = NetworkNode.objects.annotate(placed=Count("routers")).order_by("name")
        if not nodes:
            self.stdout.write("no network node has registered yet (manage.py network_agent)")
        now = timezone.now()
        for node in nodes:
            age = (
                f"{(now - node.last_heartbeat).total_seconds():.0f}s"
                if node.last_heartbeat
                else "never"
            )
            flags = [
                "alive" if node.is_alive(now) else "DOWN",
                *(["draining"] if node.draining else []),
                *(["disabled"] if not node.enabled else []),
            ]
            self.stdout.write(
                f"{node.name:16} {','.join(flags):24} heartbeat {age:>6} ago  "
                f"routers {node.placed}/{node.capacity} (running {len(node.running_routers)})  "
                f"{node.datapath or '-':9} {node.version or '-'}"
                + (f"  last error: {node.last_error}" if node.last_error else "")
            )
