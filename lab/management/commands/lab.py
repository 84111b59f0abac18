"""`manage.py lab up|down|status|sync|add-site|stop-site|start-site`: the world outside.

The lab stands in for customer devices in the demo and the tests: each customer site is a
network namespace with its own charon, on an "internet" bridge the lab's network nodes join
(see lab/README.md). The routers themselves are built by the network nodes' agents.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agent.driver import DriverCommandError, DriverUnavailable
from agent.driver.routers import RouterDriver
from lab import sites
from lab.world import lab_nodes, node_config, world
from vpn.models import CustomerGateway


class Command(BaseCommand):
    help = "Manage the lab: network namespaces with real strongSwan routers and customer sites."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["up", "down", "status", "sync", "add-site", "stop-site", "start-site"],
        )
        parser.add_argument(
            "--customer-gateway",
            action="append",
            default=[],
            help="Name or id of a customer gateway (add-site, stop-site, start-site).",
        )

    def handle(self, *args: object, **options: object) -> None:
        action = str(options["action"])
        try:
            getattr(self, "do_" + action.replace("-", "_"))(options["customer_gateway"])
        except DriverCommandError as error:
            raise CommandError(f"the lab could not do that: {error}") from None
        except DriverUnavailable as error:
            raise CommandError(str(error)) from None

    def do_up(self, _names: list[str]) -> None:
        world().up()
        self.stdout.write("lab: up")
        self.do_sync(_names)

    def do_down(self, _names: list[str]) -> None:
        """Remove every site, every router the lab's network nodes built, and the internet."""
        for name in lab_nodes():
            RouterDriver(node_config(name)).host.down()
        world().down()
        self.stdout.write("lab: down (no site, router, charon or socket left)")

    def do_status(self, _names: list[str]) -> None:
        nodes = world().status()
        if not nodes:
            self.stdout.write("lab: no sites")
        for node in nodes:
            state = "running" if node.running else "STOPPED"
            self.stdout.write(
                f"{node.kind:6} {node.name:8} {state:8} pid={node.pid} "
                f"public={','.join(node.public_ips)} inside={','.join(node.inside)}"
            )

    def do_sync(self, _names: list[str]) -> None:
        """Reload every customer site's configuration (its downloads) where it changed."""
        self.stdout.write(f"lab: {sites.sync_all_sites()} customer site(s) loaded")

    def do_add_site(self, names: list[str]) -> None:
        for cgw in self._customer_gateways(names):
            sites.add_site(cgw)
            self.stdout.write(f"lab: site for {cgw.name} ({cgw.gateway_ip}) running")

    def do_stop_site(self, names: list[str]) -> None:
        for cgw in self._customer_gateways(names):
            world().stop_charon(sites.site_name(cgw.pk))

    def do_start_site(self, names: list[str]) -> None:
        for cgw in self._customer_gateways(names):
            world().start_charon(sites.site_name(cgw.pk))
            sites.sync_site(cgw)

    def _customer_gateways(self, names: list[str]) -> list[CustomerGateway]:
        if not names:
            raise CommandError("name at least one --customer-gateway")
        found = []
        for name in names:
            lookup = {"pk": int(name)} if name.isdigit() else {"name": name}
            cgw = CustomerGateway.objects.filter(**lookup).first()
            if cgw is None:
                raise CommandError(f"no customer gateway {name!r}")
            found.append(cgw)
        return found
