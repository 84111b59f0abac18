"""Rules a VPN connection must keep, checked when one is added and when its customer gateway
changes. Each returns (field, message) pairs so forms can show them where they belong."""

import ipaddress

from django.conf import settings
from django.utils.translation import gettext as _

from vpn.models import CustomerGateway, VpnConnection, VpnGateway

Problem = tuple[str | None, str]


def connection_problems(
    gateway: VpnGateway,
    customer_gateway: CustomerGateway,
    *,
    cidrs: list[str] | None = None,
    gateway_ip: str | None = None,
    exclude_connection: int | None = None,
    counting: bool = True,
) -> list[Problem]:
    """Everything wrong with connecting ``customer_gateway`` (as it is, or with the given CIDRs
    and IP) to ``gateway``. ``counting`` checks the per-gateway limit (only when adding)."""
    cidrs = customer_gateway.cidrs if cidrs is None else cidrs
    peer_ip = customer_gateway.gateway_ip if gateway_ip is None else gateway_ip
    remote = [ipaddress.IPv4Network(c) for c in cidrs]
    vpc_net = ipaddress.IPv4Network(gateway.vpc.cidr)
    problems: list[Problem] = []
    for net in remote:
        if net.overlaps(vpc_net):
            problems.append(
                (
                    "cidr_list",
                    _("Remote network %(net)s overlaps the VPC CIDR %(vpc)s.")
                    % {"net": net, "vpc": vpc_net},
                )
            )
    if peer_ip == gateway.public_ip:
        problems.append(
            (
                "gateway_ip",
                _("The customer gateway's IP %(ip)s is this VPN gateway's own address.")
                % {"ip": peer_ip},
            )
        )
    connections = VpnConnection.objects.filter(gateway=gateway)
    if exclude_connection is not None:
        connections = connections.exclude(pk=exclude_connection)
    others = connections.exclude(customer_gateway=customer_gateway).select_related(
        "customer_gateway"
    )
    for other in others:
        ocg = other.customer_gateway
        if ocg.gateway_ip == peer_ip:
            problems.append(
                (
                    "gateway_ip",
                    _(
                        "Customer gateway %(name)s with the same IP %(ip)s is "
                        "already connected to this VPN gateway."
                    )
                    % {"name": ocg.name, "ip": peer_ip},
                )
            )
        for net in remote:
            for other_cidr in ocg.cidrs:
                if net.overlaps(ipaddress.IPv4Network(other_cidr)):
                    problems.append(
                        (
                            "cidr_list",
                            _(
                                "Remote network %(net)s overlaps %(other)s of customer gateway "
                                "%(name)s, "
                                "already connected to this VPN gateway."
                            )
                            % {"net": net, "other": other_cidr, "name": ocg.name},
                        )
                    )
    if counting:
        limit = settings.PORTAL["MAX_CONNECTIONS_PER_GATEWAY"]
        if connections.count() >= limit:
            problems.append(
                (
                    None,
                    _("This VPN gateway already has the maximum of %(n)d connections.")
                    % {"n": limit},
                )
            )
    return problems
