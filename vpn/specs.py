"""From database rows to the control plane's ConnSpec (the only place that decrypts a PSK for
the router). Specs are built in the worker, never passed through the broker."""

from django.db.models import QuerySet

from vpn.models import VpnConnection
from vpn.strongswan.spec import ConnSpec


def connections_of_router(router_id: int) -> QuerySet[VpnConnection]:
    return (
        VpnConnection.objects.filter(gateway__vpc__router__id=router_id)
        .select_related("gateway__vpc", "customer_gateway")
        .order_by("id")
    )


def spec_for(connection: VpnConnection) -> ConnSpec:
    gateway, cgw = connection.gateway, connection.customer_gateway
    return ConnSpec(
        connection_id=connection.pk,
        gateway_ip=gateway.public_ip,
        local_cidrs=(gateway.vpc.cidr,),
        peer_ip=cgw.gateway_ip,
        remote_cidrs=tuple(cgw.cidrs),
        ike_version=cgw.ike_version,
        ike_encryption=cgw.ike_encryption,
        ike_integrity=cgw.ike_integrity,
        ike_dh=cgw.ike_dh,
        esp_encryption=cgw.esp_encryption,
        esp_integrity=cgw.esp_integrity,
        esp_pfs=cgw.esp_pfs,
        ike_lifetime=cgw.ike_lifetime,
        esp_lifetime=cgw.esp_lifetime,
        dpd_enabled=cgw.dpd_enabled,
        dpd_delay=cgw.dpd_delay,
        dpd_timeout=cgw.dpd_timeout,
        force_encap=cgw.force_encap,
        split=cgw.split_connections,
        passive=connection.passive,
        psk=cgw.get_psk(),
    )
