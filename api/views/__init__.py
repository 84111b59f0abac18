"""The /api/v1/ resources, one module per portal section; every write through the same action
and form as the portal's view, every read through portal.tenancy."""

from api.views.connections import (
    ConnectionConfiguration,
    ConnectionDetail,
    ConnectionEvents,
    ConnectionList,
    ConnectionReset,
    DeviceList,
    GatewayConnections,
)
from api.views.customer_gateways import CustomerGatewayDetail, CustomerGatewayList
from api.views.gateways import GatewayDetail, GatewayList, VpcGateway
from api.views.vpcs import TierDetail, TierList, VpcDetail, VpcList

__all__ = [
    "ConnectionConfiguration",
    "ConnectionDetail",
    "ConnectionEvents",
    "ConnectionList",
    "ConnectionReset",
    "CustomerGatewayDetail",
    "CustomerGatewayList",
    "DeviceList",
    "GatewayConnections",
    "GatewayDetail",
    "GatewayList",
    "TierDetail",
    "TierList",
    "VpcDetail",
    "VpcGateway",
    "VpcList",
]
