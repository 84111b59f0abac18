"""`manage.py lab up|down|status|sync|add-site|stop-site|start-site`: the lab of real routers.

The lab stands in for routers and customer devices in the demo and the tests: each VPC router
and each customer site is a network namespace with its own charon (see network/lab/README.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.management.base import BaseCommand, CommandError, CommandParser

from network.lab import LabCommandError, LabUnavailable
from network.models import Router
from network.routers import lab, node_name, provision

if TYPE_CHECKING:
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
        except LabUnavailable as error:
            raise CommandError(str(error)) from None
        except LabCommandError as error:
            raise CommandError(f"the lab could not do that: {error}") from None

    def do_up(self, _names: list[str]) -> None:
        lab().up()
        self.stdout.write("lab: up")
        self.do_sync(_names)

    def do_down(self, _names: list[str]) -> None:
        lab().down()
        self.stdout.write("lab: down (no namespace, charon or socket left)")

    def do_status(self, _names: list[str]) -> None:
        nodes = lab().status()
        if not nodes:
            self.stdout.write("lab: no nodes")
        for node in nodes:
            state = "running" if node.running else "STOPPED"
            self.stdout.write(
                f"{node.kind:6} {node.name:8} {state:8} pid={node.pid} "
                f"public={','.join(node.public_ips)} inside={','.join(node.inside)}"
            )

    def do_sync(self, _names: list[str]) -> None:
        """Provision every lab router and reload every customer site's configuration."""
        from vpn.lab_sites import sync_all_sites

        for router in Router.objects.filter(provider="lab").select_related("vpc", "source_nat_ip"):
            provision(router)
            self.stdout.write(f"lab: router {node_name(router.pk)} ({router.public_ip}) ready")
        self.stdout.write(f"lab: {sync_all_sites()} customer site(s) loaded")

    def do_add_site(self, names: list[str]) -> None:
        from vpn.lab_sites import add_site

        for cgw in self._customer_gateways(names):
            add_site(cgw)
            self.stdout.write(f"lab: site for {cgw.name} ({cgw.gateway_ip}) running")

    def do_stop_site(self, names: list[str]) -> None:
        from vpn.lab_sites import site_name

        for cgw in self._customer_gateways(names):
            lab().stop_charon(site_name(cgw.pk))

    def do_start_site(self, names: list[str]) -> None:
        from vpn.lab_sites import site_name, sync_site

        for cgw in self._customer_gateways(names):
            lab().start_charon(site_name(cgw.pk))
            sync_site(cgw)

    def _customer_gateways(self, names: list[str]) -> list[CustomerGateway]:
        from vpn.models import CustomerGateway

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
