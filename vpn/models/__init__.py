from vpn.models.connections import VpnConnection
from vpn.models.gateways import CustomerGateway, VpnGateway
from vpn.models.policy import CryptoRule

__all__ = ["CryptoRule", "CustomerGateway", "VpnConnection", "VpnGateway"]
