"""From database rows to the control plane's ConnSpec (the only place that decrypts a PSK for
the router). Specs are built in the worker, never passed through the broker."""

from collections.abc import Iterable

from django.db.models import QuerySet

from vpn.crypto import UnreadableKey
from vpn.models import VpnConnection
from vpn.strongswan.spec import ConnSpec


def connections_of_router(router_id: int) -> QuerySet[VpnConnection]:
    return (
        VpnConnection.objects.filter(gateway__vpc__router__id=router_id)
        .select_related("gateway__vpc", "customer_gateway")
        .order_by("id")
    )


def readable_specs(
    connections: Iterable[VpnConnection],
) -> tuple[dict[int, ConnSpec], dict[int, UnreadableKey]]:
    """The spec of every connection whose pre-shared key can be decrypted, by id, and for each
    of the others the error that says why not (one bad key must not stop the rest)."""
    specs: dict[int, ConnSpec] = {}
    unreadable: dict[int, UnreadableKey] = {}
    for connection in connections:
        try:
            specs[connection.pk] = spec_for(connection)
        except UnreadableKey as error:
            unreadable[connection.pk] = error
    return specs, unreadable


def spec_for(connection: VpnConnection) -> ConnSpec:
    """Raises vpn.crypto.UnreadableKey when the customer gateway's key cannot be decrypted."""
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
        local_id_type=cgw.local_id_type,
        local_id=cgw.local_id,
        remote_id_type=cgw.remote_id_type,
        remote_id=cgw.remote_id,
    )
