"""Idempotent demo data: a public IP pool, the demo account and user, two VPCs with tiers,
customer gateways, and (in VPC web-vpc) a VPN gateway with one connection."""

from typing import TypedDict

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from network import actions as network_actions
from network.models import PublicIp, Vpc
from portal.models import Account, User
from vpn import actions as vpn_actions
from vpn.models import CustomerGateway, VpnConnection

POOL = [f"198.51.100.{n}" for n in range(10, 40)]
DEMO_PSK = "demo-psk-change-me"


class VpcSpec(TypedDict):
    name: str
    cidr: str
    description: str
    tiers: list[tuple[str, str]]  # (name, CIDR); the first one is created with the VPC


VPCS: list[VpcSpec] = [
    {
        "name": "web-vpc",
        "cidr": "10.1.0.0/16",
        "description": "Web front end",
        "tiers": [("web", "10.1.1.0/24"), ("app", "10.1.2.0/24")],
    },
    {
        "name": "data-vpc",
        "cidr": "10.2.0.0/16",
        "description": "Databases",
        "tiers": [("db", "10.2.1.0/24")],
    },
]
CUSTOMER_GATEWAYS: list[dict[str, str]] = [
    {"name": "headquarters", "gateway_ip": "203.0.113.10", "cidr_list": "192.168.10.0/24"},
    {"name": "branch-office", "gateway_ip": "203.0.113.20", "cidr_list": "192.168.20.0/24"},
]


class Command(BaseCommand):
    help = "Create the demo account (user demo / password demo) and its VPCs; safe to re-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-connection",
            action="store_true",
            help="Do not create the demo VPN gateway and connection.",
        )

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            PublicIp.objects.bulk_create(
                [PublicIp(address=a, note="demo pool") for a in POOL], ignore_conflicts=True
            )
            account, _ = Account.objects.get_or_create(name="Demo Tenant")
            user, created = User.objects.get_or_create(
                username="demo", defaults={"account": account}
            )
            if created or not user.check_password("demo"):
                user.set_password("demo")
            user.account = account
            user.save()
            admin, created = User.objects.get_or_create(
                username="admin", defaults={"is_staff": True, "is_superuser": True}
            )
            if created:
                admin.set_password("admin")
                admin.save()
        for spec in VPCS:
            vpc = Vpc.objects.filter(account=account, name=spec["name"]).first()
            if vpc is None:
                (first_name, first_cidr), *rest = spec["tiers"]
                vpc = network_actions.create_vpc(
                    account=account,
                    name=spec["name"],
                    cidr=spec["cidr"],
                    description=spec["description"],
                    tier_name=first_name,
                    tier_cidr=first_cidr,
                )
                for name, cidr in rest:
                    network_actions.add_tier(vpc=vpc, name=name, cidr=cidr)
        for fields in CUSTOMER_GATEWAYS:
            if not CustomerGateway.objects.filter(account=account, name=fields["name"]).exists():
                vpn_actions.save_customer_gateway(
                    CustomerGateway(**fields), account=account, psk=DEMO_PSK
                )
        if not options["no_connection"]:
            web = Vpc.objects.get(account=account, name="web-vpc")
            gateway, _ = vpn_actions.create_gateway(web)
            hq = CustomerGateway.objects.get(account=account, name="headquarters")
            if not VpnConnection.objects.filter(gateway=gateway, customer_gateway=hq).exists():
                vpn_actions.create_connection(gateway, hq, passive=False)
        self.stdout.write(
            self.style.SUCCESS("Demo data ready: log in as demo / demo (operator: admin / admin).")
        )
