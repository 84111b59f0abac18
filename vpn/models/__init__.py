from vpn.models.connections import VpnConnection
from vpn.models.gateways import CustomerGateway, VpnGateway
from vpn.models.history import ConnectionEvent, TrafficSample
from vpn.models.networks import CustomerGatewayNetwork
from vpn.models.policy import CryptoRule

__all__ = [
    "ConnectionEvent",
    "CryptoRule",
    "CustomerGateway",
    "CustomerGatewayNetwork",
    "TrafficSample",
    "VpnConnection",
    "VpnGateway",
]
