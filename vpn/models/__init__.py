from vpn.models.connections import VpnConnection
from vpn.models.gateways import CustomerGateway, VpnGateway

__all__ = ["CustomerGateway", "VpnConnection", "VpnGateway"]
