"""The lab's customers follow the portal: when a router is about to change, the sites of its
connections load their new downloads first (as a tenant would configure their device)."""

import logging
from typing import Any

from django.dispatch import receiver

from agent.driver import DriverUnavailable
from lab import sites
from network.models import Router
from vpn.models import CustomerGateway, VpnConnection
from vpn.signals import desired_changed

log = logging.getLogger(__name__)


@receiver(desired_changed)
def load_the_sites_of_a_changing_router(
    sender: type[Router], router_id: int, connection_ids: tuple[int, ...], **_: Any
) -> None:
    connections = VpnConnection.objects.filter(gateway__vpc__router=router_id)
    if connection_ids:
        connections = connections.filter(pk__in=connection_ids)
    gateways = CustomerGateway.objects.filter(
        pk__in=connections.values("customer_gateway")
    ).order_by("pk")
    try:
        present = sites.present()
    except DriverUnavailable:
        return  # no lab here (not root): nothing stands for the customers
    for cgw in gateways:
        if sites.site_name(cgw.pk) in present:
            try:
                sites.sync_site(cgw, if_changed=True)
            except DriverUnavailable as error:
                log.warning("lab site of customer gateway %s not loaded: %s", cgw.pk, error)
